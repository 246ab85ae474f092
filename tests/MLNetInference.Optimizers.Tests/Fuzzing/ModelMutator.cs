using Google.Protobuf;
using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Optimizers.Tests.Fuzzing;

/// <summary>
/// Deterministic mutations of a serialized ONNX model, from byte-level damage (bit flips, truncation, noise) to edits of
/// protobuf fields that a hostile file could carry (huge or negative dims, wrong data types, raw data of the wrong
/// length, dangling inputs, cycles, external data outside the folder, absurd opsets, huge attribute counts).
/// </summary>
internal static class ModelMutator
{
    /// <summary>The mutation kinds; mutation <c>i</c> of a run is kind <c>i % Kinds.Count</c>.</summary>
    public static IReadOnlyList<string> Kinds { get; } =
    [
        "bit-flip", "truncate", "noise", "huge-dim", "negative-dim", "wrong-data-type", "raw-data-length", "dangling-input",
        "cycle", "external-data", "absurd-opset", "huge-attribute-count", "ir-version", "input-shape", "duplicate-output",
        "unknown-op", "reversed-inputs", "attribute-type", "removed-initializer",
    ];

    /// <summary>Writes one mutation of <paramref name="original"/> into <paramref name="folder"/> as <c>model.onnx</c> (with any side files).</summary>
    /// <returns>The mutated model's path and a short description of what was changed.</returns>
    public static (string Path, string Description) Write(string folder, byte[] original, ModelProto parsed, string kind, Random random)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "model.onnx");
        string description;
        byte[] bytes;
        switch (kind)
        {
            case "bit-flip":
            {
                bytes = (byte[])original.Clone();
                var flips = random.Next(1, 17);
                for (var f = 0; f < flips; f++)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }

                description = $"{flips} bits flipped";
                break;
            }

            case "truncate":
            {
                var length = random.Next(0, original.Length);
                bytes = original.AsSpan(0, length).ToArray();
                description = $"cut to {length} of {original.Length} bytes";
                break;
            }

            case "noise":
            {
                bytes = (byte[])original.Clone();
                var count = Math.Min(bytes.Length, random.Next(1, 257));
                var start = random.Next(bytes.Length - count + 1);
                random.NextBytes(bytes.AsSpan(start, count));
                description = $"{count} random bytes at {start}";
                break;
            }

            default:
            {
                var model = parsed.Clone();
                description = EditFields(model, kind, random, folder);
                bytes = model.ToByteArray();
                break;
            }
        }

        File.WriteAllBytes(path, bytes);
        return (path, description);
    }

    private static string EditFields(ModelProto model, string kind, Random random, string folder)
    {
        var graph = model.Graph;
        var node = graph.Node.Count > 0 ? graph.Node[random.Next(graph.Node.Count)] : null;
        var tensor = graph.Initializer.Count > 0 ? graph.Initializer[random.Next(graph.Initializer.Count)] : null;
        switch (kind)
        {
            case "huge-dim" when tensor is not null:
            {
                long[] huge = [1L << 31, 1L << 40, long.MaxValue, int.MaxValue + 1L, 1L << 62];
                var value = huge[random.Next(huge.Length)];
                if (tensor.Dims.Count == 0)
                {
                    tensor.Dims.Add(value);
                }
                else
                {
                    tensor.Dims[random.Next(tensor.Dims.Count)] = value;
                }

                return $"initializer '{tensor.Name}' dims [{string.Join(", ", tensor.Dims)}]";
            }

            case "negative-dim":
            {
                var value = -random.Next(2, 100_000);
                if (tensor is not null && random.Next(2) == 0)
                {
                    tensor.Dims.Add(value);
                    return $"initializer '{tensor.Name}' gets dim {value}";
                }

                var input = graph.Input[random.Next(graph.Input.Count)];
                var dims = input.Type?.TensorType?.Shape?.Dim;
                if (dims is null || dims.Count == 0)
                {
                    input.Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = new TensorShapeProto() } };
                    dims = input.Type.TensorType.Shape.Dim;
                    dims.Add(new TensorShapeProto.Types.Dimension());
                }

                dims[random.Next(dims.Count)] = new TensorShapeProto.Types.Dimension { DimValue = value };
                return $"input '{input.Name}' gets dim {value}";
            }

            case "wrong-data-type" when tensor is not null:
            {
                int[] types = [0, 2, 3, 6, 7, 8, 9, 10, 11, 16, 99, -3];
                var before = tensor.DataType;
                tensor.DataType = types[random.Next(types.Length)];
                return $"initializer '{tensor.Name}' data type {before} -> {tensor.DataType}";
            }

            case "raw-data-length" when tensor is not null:
            {
                var raw = tensor.RawData.ToByteArray();
                var change = random.Next(2) == 0 && raw.Length > 0 ? -random.Next(1, raw.Length + 1) : random.Next(1, 64);
                var resized = new byte[raw.Length + change];
                raw.AsSpan(0, Math.Min(raw.Length, resized.Length)).CopyTo(resized);
                tensor.RawData = ByteString.CopyFrom(resized);
                return $"initializer '{tensor.Name}' raw data {raw.Length} -> {resized.Length} bytes";
            }

            case "dangling-input" when node is not null && node.Input.Count > 0:
            {
                var slot = random.Next(node.Input.Count);
                node.Input[slot] = $"fuzz_missing_{random.Next(1000)}";
                return $"node '{node.Name}' ({node.OpType}) input {slot} -> {node.Input[slot]}";
            }

            case "cycle" when graph.Node.Count > 1:
            {
                // An early node reads the output of a later one (or its own).
                var late = random.Next(1, graph.Node.Count);
                var early = random.Next(0, late + 1);
                var target = graph.Node[early];
                var value = graph.Node[late].Output[0];
                if (target.Input.Count == 0)
                {
                    target.Input.Add(value);
                }
                else
                {
                    target.Input[random.Next(target.Input.Count)] = value;
                }

                return $"node {early} ({target.OpType}) reads '{value}' of node {late}";
            }

            case "external-data" when tensor is not null:
            {
                // A file next to the folder, so that a reader escaping the folder would find something to read.
                File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(folder)!, "outside.bin"), new byte[1 << 16]);
                File.WriteAllBytes(Path.Combine(folder, "weights.bin"), new byte[64]);
                string[] locations = ["/etc/passwd", "../../../../../../etc/passwd", "../outside.bin", "missing.bin", "weights.bin", "sub/../../outside.bin", "", "\\\\server\\share\\w.bin"];
                var location = locations[random.Next(locations.Length)];
                tensor.RawData = ByteString.Empty;
                tensor.FloatData.Clear();
                tensor.DataLocation = TensorProto.Types.DataLocation.External;
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
                string[] offsets = ["0", "32", "999999999999", "-1", "abc"];
                var offset = offsets[random.Next(offsets.Length)];
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset });
                return $"initializer '{tensor.Name}' external at '{location}' offset {offset}";
            }

            case "absurd-opset":
            {
                long[] versions = [0, -1, 10_000, long.MaxValue, 1];
                var version = versions[random.Next(versions.Length)];
                if (random.Next(3) == 0)
                {
                    model.OpsetImport.Clear();
                    model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.fuzz.nowhere", Version = version });
                    return $"only opset com.fuzz.nowhere v{version}";
                }

                foreach (var opset in model.OpsetImport)
                {
                    opset.Version = version;
                }

                return $"every opset v{version}";
            }

            case "huge-attribute-count" when node is not null:
            {
                var count = random.Next(20_000, 100_001);
                for (var a = 0; a < count; a++)
                {
                    node.Attribute.Add(new AttributeProto { Name = $"fuzz{a}", Type = AttributeProto.Types.AttributeType.Int, I = a });
                }

                return $"node '{node.Name}' ({node.OpType}) gets {count} attributes";
            }

            case "ir-version":
            {
                long[] versions = [0, -7, 1, 3, 99, long.MaxValue];
                model.IrVersion = versions[random.Next(versions.Length)];
                return $"IR version {model.IrVersion}";
            }

            case "input-shape":
            {
                var input = graph.Input[random.Next(graph.Input.Count)];
                int[] types = [0, 8, 13, 99];
                if (random.Next(2) == 0 && input.Type?.TensorType is { } tensorType)
                {
                    tensorType.ElemType = types[random.Next(types.Length)];
                    return $"input '{input.Name}' element type {tensorType.ElemType}";
                }

                var dims = input.Type?.TensorType?.Shape?.Dim;
                if (dims is null)
                {
                    input.Type = null;
                    return $"input '{input.Name}' loses its type";
                }

                dims.Add(new TensorShapeProto.Types.Dimension { DimValue = 1L << random.Next(20, 62) });
                return $"input '{input.Name}' gets a dim of {dims[^1].DimValue}";
            }

            case "duplicate-output" when graph.Node.Count > 1:
            {
                var a = random.Next(graph.Node.Count);
                var b = (a + 1 + random.Next(graph.Node.Count - 1)) % graph.Node.Count;
                graph.Node[b].Output[0] = graph.Node[a].Output[0];
                return $"node {b} writes '{graph.Node[a].Output[0]}' as node {a} does";
            }

            case "unknown-op" when node is not null:
            {
                if (random.Next(2) == 0)
                {
                    node.OpType = "FuzzNoSuchOp";
                }
                else
                {
                    node.Domain = "com.fuzz.nowhere";
                }

                return $"node '{node.Name}' is {node.Domain}:{node.OpType}";
            }

            case "reversed-inputs" when node is not null && node.Input.Count > 1:
            {
                var reversed = node.Input.Reverse().ToArray();
                node.Input.Clear();
                node.Input.Add(reversed);
                return $"node '{node.Name}' ({node.OpType}) inputs reversed";
            }

            case "attribute-type" when node is not null:
            {
                if (node.Attribute.Count == 0)
                {
                    node.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = long.MinValue });
                    return $"node '{node.Name}' ({node.OpType}) gets axis {long.MinValue}";
                }

                var attribute = node.Attribute[random.Next(node.Attribute.Count)];
                AttributeProto.Types.AttributeType[] types = [AttributeProto.Types.AttributeType.Floats, AttributeProto.Types.AttributeType.String, AttributeProto.Types.AttributeType.Graph, AttributeProto.Types.AttributeType.Undefined, (AttributeProto.Types.AttributeType)77];
                attribute.Type = types[random.Next(types.Length)];
                attribute.Ints.Add(Enumerable.Repeat(long.MaxValue, random.Next(0, 5000)));
                return $"node '{node.Name}' attribute '{attribute.Name}' typed {attribute.Type}";
            }

            case "removed-initializer" when tensor is not null:
            {
                graph.Initializer.Remove(tensor);
                return $"initializer '{tensor.Name}' removed";
            }

            default:
            {
                // The kind needs a part this model lacks (an initializer, two nodes): damage the graph's name table instead.
                if (graph.Output.Count > 0)
                {
                    graph.Output[0].Name = "fuzz_undefined_output";
                }

                return $"{kind} not applicable; graph output renamed";
            }
        }
    }
}
