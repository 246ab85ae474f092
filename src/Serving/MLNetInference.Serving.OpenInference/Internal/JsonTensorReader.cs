using System.Text;
using System.Text.Json;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>
/// Reads a REST infer request: the JSON header (inputs, outputs, parameters) and, with Triton's binary extension,
/// the raw tensors after it. JSON data may be flat or nested; either way its element count must equal the declared
/// shape's, which is checked (against the limit too) before the tensor is allocated.
/// </summary>
internal static class JsonTensorReader
{
    public static InferenceRequest Read(ReadOnlyMemory<byte> body, int headerLength, int maxElements)
    {
        if (headerLength < 0 || headerLength > body.Length)
        {
            throw OpenInferenceException.BadRequest($"Inference-Header-Content-Length is {headerLength} but the body has {body.Length} bytes.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body[..headerLength], new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw OpenInferenceException.BadRequest($"The request is not valid JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw OpenInferenceException.BadRequest("The request must be a JSON object with an 'inputs' array.");
            }

            string? id = root.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : null;
            var binaryOutputs = root.TryGetProperty("parameters", out var parameters) && Flag(parameters, "binary_data_output");
            if (!root.TryGetProperty("inputs", out var inputsElement) || inputsElement.ValueKind != JsonValueKind.Array)
            {
                throw OpenInferenceException.BadRequest("The request has no 'inputs' array.");
            }

            var binary = body[headerLength..];
            var binaryOffset = 0;
            var inputs = new List<InferTensor>();
            foreach (var input in inputsElement.EnumerateArray())
            {
                inputs.Add(ReadInput(input, binary, ref binaryOffset, maxElements));
            }

            if (binaryOffset != binary.Length)
            {
                throw OpenInferenceException.BadRequest($"The body carries {binary.Length} bytes of binary tensors, but the inputs' binary_data_size add up to {binaryOffset}.");
            }

            var outputs = new List<RequestedOutput>();
            if (root.TryGetProperty("outputs", out var outputsElement) && outputsElement.ValueKind == JsonValueKind.Array)
            {
                foreach (var output in outputsElement.EnumerateArray())
                {
                    var name = output.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : throw OpenInferenceException.BadRequest("An entry of 'outputs' has no name.");
                    bool? flag = output.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object && p.TryGetProperty("binary_data", out var b) && b.ValueKind is JsonValueKind.True or JsonValueKind.False ? b.GetBoolean() : null;
                    outputs.Add(new RequestedOutput(name, flag));
                }
            }

            return new InferenceRequest(id, inputs, outputs, binaryOutputs);
        }
    }

    /// <summary>Reads the outputs of an infer response (JSON data or binary tensors after the header).</summary>
    public static List<InferTensor> ReadOutputs(ReadOnlyMemory<byte> body, int headerLength, int maxElements)
    {
        if (headerLength < 0 || headerLength > body.Length)
        {
            throw new InvalidDataException($"Inference-Header-Content-Length is {headerLength} but the response has {body.Length} bytes.");
        }

        using var document = JsonDocument.Parse(body[..headerLength]);
        if (!document.RootElement.TryGetProperty("outputs", out var outputs) || outputs.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException("The infer response has no 'outputs' array.");
        }

        var binary = body[headerLength..];
        var offset = 0;
        var tensors = new List<InferTensor>();
        foreach (var output in outputs.EnumerateArray())
        {
            tensors.Add(ReadInput(output, binary, ref offset, maxElements));
        }

        return tensors;
    }

    private static bool Flag(JsonElement parameters, string name)
        => parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    private static InferTensor ReadInput(JsonElement input, ReadOnlyMemory<byte> binary, ref int binaryOffset, int maxElements)
    {
        if (input.ValueKind != JsonValueKind.Object || !input.TryGetProperty("name", out var nameElement) || nameElement.ValueKind != JsonValueKind.String)
        {
            throw OpenInferenceException.BadRequest("An input has no name.");
        }

        var name = nameElement.GetString()!;
        if (!input.TryGetProperty("datatype", out var typeElement) || !TensorDataTypes.TryParse(typeElement.ValueKind == JsonValueKind.String ? typeElement.GetString() : null, out var type))
        {
            throw OpenInferenceException.BadRequest($"Input '{name}' has an unknown datatype ({(input.TryGetProperty("datatype", out var t) ? t.ToString() : "none")}); use BOOL, UINT8-64, INT8-64, FP16, FP32, FP64 or BYTES.");
        }

        if (!input.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw OpenInferenceException.BadRequest($"Input '{name}' has no shape.");
        }

        var shape = new long[shapeElement.GetArrayLength()];
        var axis = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out shape[axis]))
            {
                throw OpenInferenceException.BadRequest($"Input '{name}' has a shape axis that is not an integer ({dim}).");
            }

            axis++;
        }

        var count = TensorCodec.ElementCount(name, shape, maxElements);
        if (input.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object
            && parameters.TryGetProperty("binary_data_size", out var sizeElement))
        {
            if (!sizeElement.TryGetInt32(out var size) || size < 0 || size > binary.Length - binaryOffset)
            {
                throw OpenInferenceException.BadRequest($"Input '{name}' has binary_data_size {sizeElement} but {binary.Length - binaryOffset} bytes of binary data remain.");
            }

            var data = TensorCodec.FromBytes(name, type, binary.Span.Slice(binaryOffset, size), count);
            binaryOffset += size;
            return new InferTensor(name, type, shape, data);
        }

        if (!input.TryGetProperty("data", out var dataElement))
        {
            throw OpenInferenceException.BadRequest($"Input '{name}' has neither data nor parameters.binary_data_size.");
        }

        var leaves = CountLeaves(dataElement, 0);
        if (leaves != count)
        {
            throw OpenInferenceException.BadRequest($"Input '{name}' has shape {RequestChecks.Format(shape)} ({count} elements) but its data holds {leaves}.");
        }

        var values = type.Allocate(count);
        var index = 0;
        Fill(name, type, dataElement, values, ref index);
        return new InferTensor(name, type, shape, values);
    }

    private static long CountLeaves(JsonElement element, int depth)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            return 1;
        }

        long count = 0;
        foreach (var item in element.EnumerateArray())
        {
            count += CountLeaves(item, depth + 1);
        }

        return count;
    }

    private static void Fill(string name, TensorDataType type, JsonElement element, Array values, ref int index)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Fill(name, type, item, values, ref index);
            }

            return;
        }

        if (!TrySet(type, element, values, index))
        {
            throw OpenInferenceException.BadRequest($"Input '{name}': element {index} ({element}) is not a {type.Name()} value.");
        }

        index++;
    }

    private static bool TrySet(TensorDataType type, JsonElement e, Array values, int i)
    {
        switch (type)
        {
            case TensorDataType.Bool:
                if (e.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    ((bool[])values)[i] = e.GetBoolean();
                    return true;
                }

                return false;
            case TensorDataType.Bytes:
                if (e.ValueKind == JsonValueKind.String)
                {
                    ((byte[][])values)[i] = Encoding.UTF8.GetBytes(e.GetString()!);
                    return true;
                }

                return false;
        }

        if (e.ValueKind != JsonValueKind.Number)
        {
            return false;
        }

        switch (type)
        {
            case TensorDataType.UInt8: return e.TryGetByte(out ((byte[])values)[i]);
            case TensorDataType.UInt16: return e.TryGetUInt16(out ((ushort[])values)[i]);
            case TensorDataType.UInt32: return e.TryGetUInt32(out ((uint[])values)[i]);
            case TensorDataType.UInt64: return e.TryGetUInt64(out ((ulong[])values)[i]);
            case TensorDataType.Int8: return e.TryGetSByte(out ((sbyte[])values)[i]);
            case TensorDataType.Int16: return e.TryGetInt16(out ((short[])values)[i]);
            case TensorDataType.Int32: return e.TryGetInt32(out ((int[])values)[i]);
            case TensorDataType.Int64: return e.TryGetInt64(out ((long[])values)[i]);
            case TensorDataType.Fp16:
                ((Half[])values)[i] = (Half)e.GetDouble();
                return true;
            case TensorDataType.Fp32: return e.TryGetSingle(out ((float[])values)[i]);
            case TensorDataType.Fp64: return e.TryGetDouble(out ((double[])values)[i]);
            default: return false;
        }
    }
}
