using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Grpc.Core;
using MLNetInference.Core;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>
/// A pooled model's worker whose batch is one infer call to a remote V2 server: the batch's rows are stacked into one
/// tensor per <typeparamref name="TData"/> column, and the output tensors are split back into predictions.
/// </summary>
internal sealed class RemoteBatchExecutor<TData, TPrediction> : IPredictionBatchExecutor<TData, TPrediction>, IDisposable
    where TData : class
    where TPrediction : class, new()
{
    private static readonly PoolMember[] InputMembers = PoolMember.Read(typeof(TData), forInput: false);
    private static readonly PoolMember[] OutputMembers = PoolMember.Read(typeof(TPrediction), forInput: true);

    private readonly RemoteConnection _connection;
    private readonly string _model;
    private int _disposed;

    public RemoteBatchExecutor(RemoteConnection connection, string model)
    {
        _connection = connection.Acquire();
        _model = model;
    }

    public void Execute(ReadOnlySpan<TData> requests, Span<TPrediction> results)
    {
        var inputs = new InferTensor[InputMembers.Length];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = InputMembers[i].Stack(requests);
        }

        var outputs = _connection.Options.Protocol == OpenInferenceProtocol.Grpc ? CallGrpc(inputs) : CallRest(inputs);
        for (var r = 0; r < results.Length; r++)
        {
            var prediction = new TPrediction();
            foreach (var member in OutputMembers)
            {
                var tensor = outputs.Find(t => t.Name == member.Spec.Name)
                    ?? throw new InvalidOperationException($"Remote model '{_model}' did not answer output '{member.Spec.Name}'; it answered {string.Join(", ", outputs.Select(t => t.Name))}.");
                if (tensor.Shape.Length == 0 || tensor.Shape[0] != results.Length)
                {
                    throw new InvalidOperationException($"Remote model '{_model}' answered '{tensor.Name}' with shape {RequestChecks.Format(tensor.Shape)} for {results.Length} rows.");
                }

                member.SetFromRow(prediction, tensor, r, results.Length);
            }

            results[r] = prediction;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _connection.Release();
        }
    }

    private List<InferTensor> CallRest(InferTensor[] inputs)
    {
        var header = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(header))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("inputs");
            foreach (var input in inputs)
            {
                writer.WriteStartObject();
                writer.WriteString("name", input.Name);
                writer.WriteString("datatype", input.DataType.Name());
                writer.WriteStartArray("shape");
                foreach (var dim in input.Shape)
                {
                    writer.WriteNumberValue(dim);
                }

                writer.WriteEndArray();
                writer.WriteStartObject("parameters");
                writer.WriteNumber("binary_data_size", TensorCodec.ByteLength(input));
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartObject("parameters");
            writer.WriteBoolean("binary_data_output", true);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        var headerLength = header.WrittenCount;
        foreach (var input in inputs)
        {
            TensorCodec.Write(input, header);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"v2/models/{Uri.EscapeDataString(_model)}/infer")
        {
            Content = new ReadOnlyMemoryContent(header.WrittenMemory),
            Version = HttpVersion.Version11,
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        request.Content.Headers.Add(RestEndpoints.HeaderLengthName, headerLength.ToString(CultureInfo.InvariantCulture));

        // PERF: the worker is a thread of its own in the batcher; a synchronous send keeps it off sync-over-async.
        using var response = _connection.Http!.Send(request);
        using var stream = response.Content.ReadAsStream();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (!response.IsSuccessStatusCode)
        {
            throw RemoteError((int)response.StatusCode, ErrorMessage(body.Span));
        }

        var length = response.Headers.TryGetValues(RestEndpoints.HeaderLengthName, out var values)
            ? int.Parse(values.First(), NumberStyles.None, CultureInfo.InvariantCulture)
            : body.Length;
        return JsonTensorReader.ReadOutputs(body, length, _connection.Options.MaxTensorElements);
    }

    private List<InferTensor> CallGrpc(InferTensor[] inputs)
    {
        try
        {
            var response = _connection.Grpc!.ModelInfer(GrpcTensorCodec.WriteRequest(_model, inputs));
            return GrpcTensorCodec.ReadResponse(response, _connection.Options.MaxTensorElements);
        }
        catch (RpcException ex)
        {
            throw RemoteError(ex.StatusCode switch
            {
                StatusCode.InvalidArgument => 400,
                StatusCode.NotFound => 404,
                StatusCode.Unavailable or StatusCode.ResourceExhausted => 503,
                _ => 500,
            }, ex.Status.Detail);
        }
    }

    private Exception RemoteError(int status, string message) => status switch
    {
        400 => new InvalidInputException(_model, $"The remote server refused the request: {message}"),
        404 or 503 => new ModelUnavailableException(_model, $"The remote model '{_model}' is unavailable ({status}): {message}"),
        _ => new InvalidOperationException($"The remote server failed on model '{_model}' ({status}): {message}"),
    };

    private static string ErrorMessage(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.TryGetProperty("error", out var error) ? error.GetString() ?? string.Empty : document.RootElement.ToString();
        }
        catch (JsonException)
        {
            return System.Text.Encoding.UTF8.GetString(body[..Math.Min(body.Length, 512)]);
        }
    }
}
