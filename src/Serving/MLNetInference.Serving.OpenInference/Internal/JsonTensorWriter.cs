using System.Buffers;
using System.Text.Json;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>Writes a REST infer response: JSON data, or with the binary extension a JSON header and the raw tensors after it.</summary>
internal static class JsonTensorWriter
{
    /// <summary>JSON for machines, not for HTML: names and messages keep their quotes and non-ASCII text unescaped.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the response header into <paramref name="json"/> and returns the tensors to append as binary data.</summary>
    public static List<InferTensor> WriteHeader(IBufferWriter<byte> json, IInferenceModel model, InferenceRequest request, IReadOnlyList<InferTensor> outputs)
    {
        var binary = new List<InferTensor>();
        using var writer = new Utf8JsonWriter(json, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("model_name", model.Name);
        writer.WriteString("model_version", model.Version);
        if (request.Id is { } id)
        {
            writer.WriteString("id", id);
        }

        writer.WriteStartArray("outputs");
        foreach (var output in outputs)
        {
            writer.WriteStartObject();
            writer.WriteString("name", output.Name);
            writer.WriteString("datatype", output.DataType.Name());
            writer.WriteStartArray("shape");
            foreach (var dim in output.Shape)
            {
                writer.WriteNumberValue(dim);
            }

            writer.WriteEndArray();
            if (WantsBinary(request, output.Name))
            {
                writer.WriteStartObject("parameters");
                writer.WriteNumber("binary_data_size", TensorCodec.ByteLength(output));
                writer.WriteEndObject();
                binary.Add(output);
            }
            else
            {
                writer.WritePropertyName("data");
                WriteData(writer, output);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        return binary;
    }

    private static bool WantsBinary(InferenceRequest request, string name)
    {
        foreach (var output in request.Outputs)
        {
            if (output.Name == name && output.Binary is { } flag)
            {
                return flag;
            }
        }

        return request.BinaryOutputs;
    }

    private static void WriteData(Utf8JsonWriter writer, InferTensor tensor)
    {
        writer.WriteStartArray();
        // The datatype decides, not the array's runtime type: the CLR lets an int[] pass as a uint[] (and sbyte[] as
        // byte[], long[] as ulong[]), so a type switch on the array would misread signed values.
        var data = tensor.Data;
        switch (tensor.DataType)
        {
            case TensorDataType.Bool: foreach (var v in (bool[])data) { writer.WriteBooleanValue(v); } break;
            case TensorDataType.UInt8: foreach (var v in (byte[])data) { writer.WriteNumberValue(v); } break;
            case TensorDataType.UInt16: foreach (var v in (ushort[])data) { writer.WriteNumberValue(v); } break;
            case TensorDataType.UInt32: foreach (var v in (uint[])data) { writer.WriteNumberValue(v); } break;
            case TensorDataType.UInt64: foreach (var v in (ulong[])data) { writer.WriteNumberValue(v); } break;
            case TensorDataType.Int8: foreach (var v in (sbyte[])data) { writer.WriteNumberValue(v); } break;
            case TensorDataType.Int16: foreach (var v in (short[])data) { writer.WriteNumberValue(v); } break;
            case TensorDataType.Int32: foreach (var v in (int[])data) { writer.WriteNumberValue(v); } break;
            case TensorDataType.Int64: foreach (var v in (long[])data) { writer.WriteNumberValue(v); } break;
            case TensorDataType.Fp16: foreach (var v in (Half[])data) { WriteFloat(writer, (float)v); } break;
            case TensorDataType.Fp32: foreach (var v in (float[])data) { WriteFloat(writer, v); } break;
            case TensorDataType.Fp64: foreach (var v in (double[])data) { WriteDouble(writer, v); } break;
            default: foreach (var v in (byte[][])data) { writer.WriteStringValue(System.Text.Encoding.UTF8.GetString(v)); } break;
        }

        writer.WriteEndArray();
    }

    // JSON has no NaN or infinity: they are written as strings, as Python's and Triton's clients read them.
    private static void WriteFloat(Utf8JsonWriter writer, float value)
    {
        if (float.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private static void WriteDouble(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
