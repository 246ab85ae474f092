using Google.Protobuf;
using Google.Protobuf.Collections;
using MLNetInference.Serving.OpenInference.Grpc;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>
/// Converts gRPC infer messages to and from the server's tensors: typed contents (INT8/INT16 in int_contents,
/// UINT8/UINT16 in uint_contents, FP16 only raw) or raw_input_contents / raw_output_contents.
/// </summary>
internal static class GrpcTensorCodec
{
    public static InferenceRequest ReadRequest(ModelInferRequest message, int maxElements)
    {
        var raw = message.RawInputContents;
        if (raw.Count > 0 && raw.Count != message.Inputs.Count)
        {
            throw OpenInferenceException.BadRequest($"The request has {message.Inputs.Count} inputs but {raw.Count} raw_input_contents; give one per input or none.");
        }

        var inputs = new InferTensor[message.Inputs.Count];
        for (var i = 0; i < inputs.Length; i++)
        {
            var input = message.Inputs[i];
            if (!TensorDataTypes.TryParse(input.Datatype, out var type))
            {
                throw OpenInferenceException.BadRequest($"Input '{input.Name}' has an unknown datatype ('{input.Datatype}'); use BOOL, UINT8-64, INT8-64, FP16, FP32, FP64 or BYTES.");
            }

            var shape = input.Shape.ToArray();
            var count = TensorCodec.ElementCount(input.Name, shape, maxElements);
            var data = raw.Count > 0
                ? TensorCodec.FromBytes(input.Name, type, raw[i].Span, count)
                : FromContents(input.Name, type, input.Contents ?? new InferTensorContents(), count);
            inputs[i] = new InferTensor(input.Name, type, shape, data);
        }

        var outputs = new RequestedOutput[message.Outputs.Count];
        for (var o = 0; o < outputs.Length; o++)
        {
            outputs[o] = new RequestedOutput(message.Outputs[o].Name, null);
        }

        return new InferenceRequest(string.IsNullOrEmpty(message.Id) ? null : message.Id, inputs, outputs, binaryOutputs: raw.Count > 0);
    }

    public static ModelInferResponse WriteResponse(IInferenceModel model, InferenceRequest request, IReadOnlyList<InferTensor> outputs)
    {
        var response = new ModelInferResponse { ModelName = model.Name, ModelVersion = model.Version, Id = request.Id ?? string.Empty };
        var raw = request.BinaryOutputs;
        foreach (var output in outputs)
        {
            raw |= output.DataType == TensorDataType.Fp16;
        }

        foreach (var output in outputs)
        {
            var tensor = new ModelInferResponse.Types.InferOutputTensor { Name = output.Name, Datatype = output.DataType.Name() };
            tensor.Shape.Add(output.Shape);
            if (raw)
            {
                response.RawOutputContents.Add(UnsafeByteOperations.UnsafeWrap(TensorCodec.ToBytes(output)));
            }
            else
            {
                tensor.Contents = ToContents(output);
            }

            response.Outputs.Add(tensor);
        }

        return response;
    }

    /// <summary>Builds a request with raw contents (what the client sends).</summary>
    public static ModelInferRequest WriteRequest(string model, IReadOnlyList<InferTensor> inputs)
    {
        var request = new ModelInferRequest { ModelName = model };
        foreach (var input in inputs)
        {
            var tensor = new ModelInferRequest.Types.InferInputTensor { Name = input.Name, Datatype = input.DataType.Name() };
            tensor.Shape.Add(input.Shape);
            request.Inputs.Add(tensor);
            request.RawInputContents.Add(UnsafeByteOperations.UnsafeWrap(TensorCodec.ToBytes(input)));
        }

        return request;
    }

    /// <summary>Reads the outputs of a response, raw or typed.</summary>
    public static List<InferTensor> ReadResponse(ModelInferResponse response, int maxElements)
    {
        var tensors = new List<InferTensor>();
        for (var o = 0; o < response.Outputs.Count; o++)
        {
            var output = response.Outputs[o];
            if (!TensorDataTypes.TryParse(output.Datatype, out var type))
            {
                throw new InvalidDataException($"Output '{output.Name}' has an unknown datatype '{output.Datatype}'.");
            }

            var shape = output.Shape.ToArray();
            var count = TensorCodec.ElementCount(output.Name, shape, maxElements);
            var data = response.RawOutputContents.Count > 0
                ? TensorCodec.FromBytes(output.Name, type, response.RawOutputContents[o].Span, count)
                : FromContents(output.Name, type, output.Contents ?? new InferTensorContents(), count);
            tensors.Add(new InferTensor(output.Name, type, shape, data));
        }

        return tensors;
    }

    /// <summary>Builds typed contents for a tensor (not FP16, which travels raw).</summary>
    public static InferTensorContents ToContents(InferTensor tensor)
    {
        var contents = new InferTensorContents();
        // The datatype decides, not the array's runtime type (the CLR lets an int[] pass as a uint[]).
        var data = tensor.Data;
        switch (tensor.DataType)
        {
            case TensorDataType.Bool: contents.BoolContents.Add((bool[])data); break;
            case TensorDataType.UInt8: foreach (var v in (byte[])data) { contents.UintContents.Add(v); } break;
            case TensorDataType.UInt16: foreach (var v in (ushort[])data) { contents.UintContents.Add(v); } break;
            case TensorDataType.UInt32: contents.UintContents.Add((uint[])data); break;
            case TensorDataType.UInt64: contents.Uint64Contents.Add((ulong[])data); break;
            case TensorDataType.Int8: foreach (var v in (sbyte[])data) { contents.IntContents.Add(v); } break;
            case TensorDataType.Int16: foreach (var v in (short[])data) { contents.IntContents.Add(v); } break;
            case TensorDataType.Int32: contents.IntContents.Add((int[])data); break;
            case TensorDataType.Int64: contents.Int64Contents.Add((long[])data); break;
            case TensorDataType.Fp32: contents.Fp32Contents.Add((float[])data); break;
            case TensorDataType.Fp64: contents.Fp64Contents.Add((double[])data); break;
            case TensorDataType.Bytes: foreach (var v in (byte[][])data) { contents.BytesContents.Add(ByteString.CopyFrom(v)); } break;
            default: throw new ArgumentException($"{tensor.DataType.Name()} has no typed contents; it travels as raw contents.", nameof(tensor));
        }

        return contents;
    }

    /// <summary>Reads typed contents into a tensor's array.</summary>
    public static Array FromContents(string name, TensorDataType type, InferTensorContents contents, int count)
    {
        switch (type)
        {
            case TensorDataType.Bool: return Copy(name, type, contents.BoolContents, count, v => v);
            case TensorDataType.UInt8: return Copy(name, type, contents.UintContents, count, v => checked((byte)v));
            case TensorDataType.UInt16: return Copy(name, type, contents.UintContents, count, v => checked((ushort)v));
            case TensorDataType.UInt32: return Copy(name, type, contents.UintContents, count, v => v);
            case TensorDataType.UInt64: return Copy(name, type, contents.Uint64Contents, count, v => v);
            case TensorDataType.Int8: return Copy(name, type, contents.IntContents, count, v => checked((sbyte)v));
            case TensorDataType.Int16: return Copy(name, type, contents.IntContents, count, v => checked((short)v));
            case TensorDataType.Int32: return Copy(name, type, contents.IntContents, count, v => v);
            case TensorDataType.Int64: return Copy(name, type, contents.Int64Contents, count, v => v);
            case TensorDataType.Fp32: return Copy(name, type, contents.Fp32Contents, count, v => v);
            case TensorDataType.Fp64: return Copy(name, type, contents.Fp64Contents, count, v => v);
            case TensorDataType.Bytes: return Copy(name, type, contents.BytesContents, count, v => v.ToByteArray());
            default: throw OpenInferenceException.BadRequest($"Input '{name}' is FP16, which has no typed contents: send it in raw_input_contents.");
        }
    }

    private static T[] Copy<TSource, T>(string name, TensorDataType type, RepeatedField<TSource> source, int count, Func<TSource, T> convert)
    {
        if (source.Count != count)
        {
            throw OpenInferenceException.BadRequest($"Input '{name}' declares {count} elements but its {type.Name()} contents hold {source.Count}.");
        }

        var values = new T[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                values[i] = convert(source[i]);
            }
        }
        catch (OverflowException)
        {
            throw OpenInferenceException.BadRequest($"Input '{name}' has a value out of the range of {type.Name()}.");
        }

        return values;
    }
}
