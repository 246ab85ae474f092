using System.Buffers;
using System.Text.Json;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>Writes a REST infer response: JSON data, or with the binary extension a JSON header and the raw tensors after it.</summary>
internal static class JsonTensorWriter
{
    /// <summary>Writes the response header into <paramref name="json"/> and returns the tensors to append as binary data.</summary>
    public static List<InferTensor> WriteHeader(IBufferWriter<byte> json, IInferenceModel model, InferenceRequest request, IReadOnlyList<InferTensor> outputs)
    {
        var binary = new List<InferTensor>();
        using var writer = new Utf8JsonWriter(json);
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
        switch (tensor.Data)
        {
            case bool[] a: foreach (var v in a) { writer.WriteBooleanValue(v); } break;
            case byte[] a: foreach (var v in a) { writer.WriteNumberValue(v); } break;
            case ushort[] a: foreach (var v in a) { writer.WriteNumberValue(v); } break;
            case uint[] a: foreach (var v in a) { writer.WriteNumberValue(v); } break;
            case ulong[] a: foreach (var v in a) { writer.WriteNumberValue(v); } break;
            case sbyte[] a: foreach (var v in a) { writer.WriteNumberValue(v); } break;
            case short[] a: foreach (var v in a) { writer.WriteNumberValue(v); } break;
            case int[] a: foreach (var v in a) { writer.WriteNumberValue(v); } break;
            case long[] a: foreach (var v in a) { writer.WriteNumberValue(v); } break;
            case Half[] a: foreach (var v in a) { WriteFloat(writer, (float)v); } break;
            case float[] a: foreach (var v in a) { WriteFloat(writer, v); } break;
            case double[] a: foreach (var v in a) { WriteDouble(writer, v); } break;
            case byte[][] a: foreach (var v in a) { writer.WriteStringValue(System.Text.Encoding.UTF8.GetString(v)); } break;
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
