using Google.Protobuf;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Models.Internal;

namespace MLNetInference.Models;

/// <summary>
/// A zoo of tiny models built in code, in the forms real exporters write, for testing the optimizer on the models users
/// bring: BERT-style encoders at opsets 8 to 20 with the attention mask as PyTorch 1.x and 2.x write it, GELU as Erf,
/// as the tanh approximation and as the opset-20 op, layer normalization decomposed and as the opset-17 op, constants
/// as <c>Constant</c> nodes and as initializers; a ResNet-style CNN at opsets 8 and 13; an encoder whose weights live in
/// a side file; and a float16 MLP. Weights are random but seeded: the same call always gives the same bytes.
/// </summary>
/// <remarks>
/// Encoders take <c>input_ids</c>, <c>attention_mask</c> and <c>token_type_ids</c> (int64 [batch, sequence], ids below
/// 1000, at most 64 positions) and give <c>last_hidden_state</c> (float [batch, sequence, 16]). The CNNs take
/// <c>data</c> (float [batch, 3, 16, 16]) and give <c>logits</c> (float [batch, 10]). The MLP takes <c>features</c>
/// (float16 [batch, 16]) and gives <c>scores</c> (float16 [batch, 8]).
/// </remarks>
public static class ZooModels
{
    private static readonly Lazy<IReadOnlyList<ZooModel>> Models = new(BuildAll);

    /// <summary>Gets every zoo model, built once per process.</summary>
    public static IReadOnlyList<ZooModel> All => Models.Value;

    /// <summary>Gets a zoo model by name.</summary>
    /// <param name="name">The model's name, as in <see cref="All"/>.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentException">No zoo model has that name; the message lists them.</exception>
    public static ZooModel Get(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return All.FirstOrDefault(m => m.Name == name)
            ?? throw new ArgumentException($"No zoo model is named '{name}'. Known: {string.Join(", ", All.Select(m => m.Name))}.", nameof(name));
    }

    private static IReadOnlyList<ZooModel> BuildAll()
    {
        var models = new List<ZooModel>();
        void Bert(string name, string description, ZooBertForm form, ulong seed) =>
            models.Add(new ZooModel(name, description, form.Opset, OnnxModelIO.ToBytes(ZooBert.Build(name, form, seed)), new Dictionary<string, byte[]>()));

        Bert("bert-opset8-tanh", "Encoder at opset 8, before Erf, Where and dynamic Slice exist (so no position embeddings): -10000 mask, tanh-approximated GELU, decomposed layer norm, initializers, Shape/Concat reshape targets",
            new ZooBertForm(8, ZooMask.PyTorch1, ZooGelu.Tanh, ZooLayerNorm.Decomposed, ConstantNodes: false, DynamicReshape: true), 10);
        Bert("bert-opset11-pt2", "Encoder as PyTorch 2.x exports it at opset 11: finfo.min mask, Erf GELU, decomposed layer norm, Constant nodes",
            new ZooBertForm(11, ZooMask.PyTorch2, ZooGelu.Erf, ZooLayerNorm.Decomposed, ConstantNodes: true, DynamicReshape: false), 11);
        Bert("bert-opset11-pt1", "Encoder as PyTorch 1.x exports it at opset 11: -10000 mask, Erf GELU, decomposed layer norm, initializers, Shape/Concat reshape targets",
            new ZooBertForm(11, ZooMask.PyTorch1, ZooGelu.Erf, ZooLayerNorm.Decomposed, ConstantNodes: false, DynamicReshape: true), 12);
        Bert("bert-opset12-tanh", "Encoder at opset 12: -10000 mask, tanh-approximated GELU, decomposed layer norm, Constant nodes",
            new ZooBertForm(12, ZooMask.PyTorch1, ZooGelu.Tanh, ZooLayerNorm.Decomposed, ConstantNodes: true, DynamicReshape: true), 13);
        Bert("bert-opset13-pt1", "Encoder at opset 13 (axes as inputs): -10000 mask, Erf GELU, decomposed layer norm, initializers",
            new ZooBertForm(13, ZooMask.PyTorch1, ZooGelu.Erf, ZooLayerNorm.Decomposed, ConstantNodes: false, DynamicReshape: false), 14);
        Bert("bert-opset14-pt2-tanh", "Encoder at opset 14: finfo.min mask, tanh GELU, decomposed layer norm, Constant nodes, two layers",
            new ZooBertForm(14, ZooMask.PyTorch2, ZooGelu.Tanh, ZooLayerNorm.Decomposed, ConstantNodes: true, DynamicReshape: true, Layers: 2), 15);
        Bert("bert-opset17-where", "Encoder at opset 17: Where (masked_fill) mask, Erf GELU, LayerNormalization op, Constant nodes, two layers",
            new ZooBertForm(17, ZooMask.Where, ZooGelu.Erf, ZooLayerNorm.Onnx17, ConstantNodes: true, DynamicReshape: false, Layers: 2), 17);
        Bert("bert-opset18-pt2", "Encoder at opset 18 (ReduceMean axes as an input): finfo.min mask, Erf GELU, decomposed layer norm, initializers",
            new ZooBertForm(18, ZooMask.PyTorch2, ZooGelu.Erf, ZooLayerNorm.Decomposed, ConstantNodes: false, DynamicReshape: false), 18);
        Bert("bert-opset20-gelu", "Encoder at opset 20: finfo.min mask, Gelu op, LayerNormalization op, Constant nodes",
            new ZooBertForm(20, ZooMask.PyTorch2, ZooGelu.Onnx20, ZooLayerNorm.Onnx17, ConstantNodes: true, DynamicReshape: false), 20);

        const string externalName = "bert-opset13-external";
        var external = ZooBert.Build(externalName, new ZooBertForm(13, ZooMask.PyTorch2, ZooGelu.Erf, ZooLayerNorm.Decomposed, ConstantNodes: true, DynamicReshape: false), 19);
        var side = MoveToExternalData(external, externalName + ".onnx.data");
        models.Add(new ZooModel(externalName, "Encoder at opset 13 whose weights live in a side file (external data), as large exports are saved", 13, OnnxModelIO.ToBytes(external), new Dictionary<string, byte[]> { [externalName + ".onnx.data"] = side }));

        models.Add(new ZooModel("cnn-opset8", "ResNet-style CNN at opset 8 (like ResNet18's converter): BatchNormalization with spatial, Flatten, Dropout with ratio, Gemm", 8,
            OnnxModelIO.ToBytes(ZooVision.Cnn("cnn-opset8", 8, constantNodes: false, seed: 21)), new Dictionary<string, byte[]>()));
        models.Add(new ZooModel("cnn-opset13", "ResNet-style CNN at opset 13: Pad, Clip (ReLU6) and Squeeze with inputs, Dropout, Constant nodes", 13,
            OnnxModelIO.ToBytes(ZooVision.Cnn("cnn-opset13", 13, constantNodes: true, seed: 22)), new Dictionary<string, byte[]>()));
        models.Add(new ZooModel("mlp-fp16", "Float16 MLP (float16 input, weights and output), as model.half() exports it", 13,
            OnnxModelIO.ToBytes(ZooVision.HalfMlp("mlp-fp16", 23)), new Dictionary<string, byte[]>()));
        return models;
    }

    /// <summary>Moves every initializer of more than 64 bytes into one side file, as ONNX's external-data format writes it.</summary>
    private static byte[] MoveToExternalData(ModelProto model, string file)
    {
        using var data = new MemoryStream();
        foreach (var tensor in model.Graph.Initializer)
        {
            if (tensor.RawData.Length <= 64)
            {
                continue;
            }

            var offset = data.Length;
            tensor.RawData.WriteTo(data);
            tensor.RawData = ByteString.Empty;
            tensor.DataLocation = TensorProto.Types.DataLocation.External;
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = file });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = (data.Length - offset).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        return data.ToArray();
    }
}
