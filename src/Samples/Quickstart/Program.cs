// Quickstart: one ML.NET pipeline from text to sentence embedding with MiniLM, a small semantic search,
// and the speed of our batched scoring against ML.NET's ApplyOnnxModel pinned to 128 tokens.
using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Onnx;
using MLNetInference.Models;
using MLNetInference.Samples.Quickstart;
using MLNetInference.Pipeline.Scoring;

const int CorpusSize = 500;
const int BaselineSize = 150;

var ml = new MLContext(seed: 0);
var sentences = SentenceCorpus.Load(CorpusSize).Select(t => new Sentence { Text = t }).ToList();
Console.WriteLine($"Model: all-MiniLM-L6-v2 ({ModelPaths.MiniLmModel})");
Console.WriteLine($"Corpus: {sentences.Count} sentences from the Microsoft.ML XML docs");

// 1. The one pipeline: text -> tokens -> batched ONNX scoring with dynamic length -> mean pooling -> embedding.
var scoring = new OnnxBatchScoringOptions { ModelPath = ModelPaths.MiniLmModel, MaxSequenceLength = 128 };
scoring.OutputColumns["last_hidden_state"] = "last_hidden_state";
var tokenizer = ml.Transforms.TokenizeForBert(nameof(Sentence.Text), ModelPaths.MiniLmVocab, maxLength: 128);
var pipeline = tokenizer
    .Append(ml.Transforms.ScoreOnnxBatched(scoring))
    .Append(ml.Transforms.MeanPoolAndNormalize(outputColumnName: "embedding"));
var corpusView = ml.Data.LoadFromEnumerable(sentences);
var model = pipeline.Fit(corpusView);

Console.Write($"Embedding {sentences.Count} sentences with the batched pipeline... ");
var clock = Stopwatch.StartNew();
var embeddings = Embed(model, corpusView);
var oursRate = embeddings.Count / clock.Elapsed.TotalSeconds;
Console.WriteLine($"done in {clock.Elapsed.TotalSeconds:F1} s ({oursRate:F1} sentences/s, dimension {embeddings[0].Length})");

// 2. Semantic search: embed the queries with the same model and rank the corpus by cosine similarity.
string[] queries = ["How do I normalize feature values?", "train a binary classifier", "load data from a text file"];
var queryEmbeddings = Embed(model, ml.Data.LoadFromEnumerable(queries.Select(q => new Sentence { Text = q })));
for (var q = 0; q < queries.Length; q++)
{
    Console.WriteLine();
    Console.WriteLine($"Query: \"{queries[q]}\"");
    var top = embeddings
        .Select((e, i) => (Index: i, Score: TensorPrimitives.Dot<float>(e, queryEmbeddings[q])))
        .OrderByDescending(m => m.Score)
        .Take(3);
    foreach (var (index, score) in top)
    {
        var text = sentences[index].Text;
        Console.WriteLine($"  {score:F3}  {(text.Length > 100 ? text[..97] + "..." : text)}");
    }
}

// 3. The usual ML.NET way for comparison: ApplyOnnxModel, which needs every row padded to 128 tokens.
//    It is slow, so it embeds only the first sentences; ours is timed again on the same ones.
Console.WriteLine();
Console.Write($"ApplyOnnxModel (pinned to 128 tokens) on the first {BaselineSize} sentences... ");
var subset = ml.Data.LoadFromEnumerable(sentences.Take(BaselineSize));
var padded = ml.Data.LoadFromEnumerable(PadTo128(tokenizer.Fit(subset).Transform(subset)));
string[] inputs = ["input_ids", "attention_mask", "token_type_ids"];
var stock = ml.Transforms.ApplyOnnxModel(new OnnxOptions
{
    ModelFile = ModelPaths.MiniLmModel,
    InputColumns = inputs,
    OutputColumns = ["last_hidden_state"],
    ShapeDictionary = inputs.ToDictionary(name => name, _ => new[] { 1, FixedLengthTokens.Length }),
}).Append(ml.Transforms.MeanPoolAndNormalize(new MLNetInference.Pipeline.Pooling.MeanPoolingOptions { HiddenSize = embeddings[0].Length })).Fit(padded);
clock.Restart();
var stockEmbeddings = Embed(stock, padded);
var stockRate = stockEmbeddings.Count / clock.Elapsed.TotalSeconds;
Console.WriteLine($"{stockRate:F1} sentences/s (tokenized beforehand, so tokenization is not counted for it)");

clock.Restart();
Embed(model, subset);
var oursSubsetRate = BaselineSize / clock.Elapsed.TotalSeconds;
var agreement = stockEmbeddings.Select((e, i) => TensorPrimitives.CosineSimilarity<float>(e, embeddings[i])).Min();
Console.WriteLine($"Batched pipeline on the same {BaselineSize} sentences (tokenization included): {oursSubsetRate:F1} sentences/s");
Console.WriteLine($"Speed-up: {oursSubsetRate / stockRate:F1}x; lowest cosine between the two embeddings: {agreement:F5}");
(model as IDisposable)?.Dispose();
(stock as IDisposable)?.Dispose();
return 0;

static List<float[]> Embed(ITransformer model, IDataView data)
{
    var scored = model.Transform(data);
    return scored.GetColumn<float[]>("embedding").ToList();
}

// Reads the tokens our pipeline produced and pads them into fixed-size rows.
static IEnumerable<FixedLengthTokens> PadTo128(IDataView tokenized)
{
    var ids = tokenized.GetColumn<long[]>("input_ids").ToList();
    var masks = tokenized.GetColumn<long[]>("attention_mask").ToList();
    var types = tokenized.GetColumn<long[]>("token_type_ids").ToList();
    for (var i = 0; i < ids.Count; i++)
    {
        var row = new FixedLengthTokens { InputIds = new long[FixedLengthTokens.Length], AttentionMask = new long[FixedLengthTokens.Length], TokenTypeIds = new long[FixedLengthTokens.Length] };
        ids[i].CopyTo(row.InputIds, 0);
        types[i].CopyTo(row.TokenTypeIds, 0);
        masks[i].CopyTo(row.AttentionMask, 0);
        yield return row;
    }
}
