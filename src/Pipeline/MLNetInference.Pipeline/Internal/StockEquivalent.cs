using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Core.Runtime;
using MLNetInference.Pipeline.Scoring;

namespace MLNetInference.Pipeline.Internal;

/// <summary>
/// Builds the stock ML.NET transformers our transformers delegate <see cref="ICanSaveModel.Save"/> to, so that
/// stock <c>mlContext.Model.Load</c> reads our zips.
/// </summary>
internal static class StockEquivalent
{
    private const int DefaultStockSequenceLength = 128;

    /// <summary>An ML.NET <c>OnnxTransformer</c> over the same model, with each variable axis pinned (stock ML.NET cannot take one).</summary>
    public static void SaveForOnnxScorer(
        ModelSaveContext ctx,
        MLContext mlContext,
        OnnxModelSession model,
        OnnxBatchScoringOptions options,
        IReadOnlyList<(string Output, string Column)> outputs,
        byte[] modelBytes)
    {
        var pinned = options.StockSequenceLength > 0 ? options.StockSequenceLength
            : options.MaxSequenceLength > 0 ? options.MaxSequenceLength : DefaultStockSequenceLength;
        var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal);
        var builder = new DataViewSchema.Builder();
        var inputNames = new string[model.Metadata.Inputs.Count];
        for (var i = 0; i < inputNames.Length; i++)
        {
            var input = model.Metadata.Inputs[i];
            inputNames[i] = input.Name;
            var shape = new int[input.Rank];
            var rowSize = 1;
            var isVariable = false;
            for (var d = 0; d < shape.Length; d++)
            {
                shape[d] = d == 0 ? 1 : input.Dimensions[d] > 0 ? input.Dimensions[d] : pinned;
                isVariable |= d > 0 && input.Dimensions[d] <= 0;
                rowSize *= d == 0 ? 1 : shape[d];
            }

            if (isVariable || input.Dimensions[0] <= 0)
            {
                shapes[input.Name] = shape;
            }

            builder.AddColumn(input.Name, new VectorDataViewType(ToItem(input), rowSize));
        }

        var outputNames = outputs.Select(o => o.Output).ToArray();
        var file = Path.Combine(Path.GetTempPath(), $"mlnetinference-stock-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllBytes(file, modelBytes);
            IEstimator<ITransformer> estimator = mlContext.Transforms.ApplyOnnxModel(outputNames, inputNames, file, shapes, gpuDeviceId: null, fallbackToCpu: true);
            var empty = new EmptyDataView(builder.ToSchema());
            foreach (var (output, column) in outputs)
            {
                if (!string.Equals(output, column, StringComparison.Ordinal))
                {
                    estimator = estimator.Append(mlContext.Transforms.CopyColumns(column, output));
                }
            }

            // Stock ML.NET reads the model file again when it saves, so the file must outlive Save.
            var stock = estimator.Fit(empty);
            try
            {
                ((ICanSaveModel)stock).Save(ctx);
            }
            finally
            {
                (stock as IDisposable)?.Dispose();
            }
        }
        finally
        {
            TryDelete(file);
        }
    }

    private static PrimitiveDataViewType ToItem(TensorMetadata input)
    {
        return ScoringBinding.ToColumnType(input) switch
        {
            VectorDataViewType vector => vector.ItemType,
            PrimitiveDataViewType primitive => primitive,
            var other => throw new NotSupportedException($"Input '{input.Name}' maps to {other}, which stock ML.NET cannot take."),
        };
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
            // A temp file left behind is harmless.
        }
    }
}
