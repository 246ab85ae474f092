using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>The REST handlers of the Open Inference Protocol.</summary>
internal sealed class RestEndpoints(ModelRegistry registry, InferenceStatistics statistics, IOptions<OpenInferenceOptions> options, TimeProvider? timeProvider = null)
{
    public const string HeaderLengthName = "Inference-Header-Content-Length";

    private readonly OpenInferenceOptions _options = options.Value;
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public Task Live(HttpContext context) => WriteJson(context, StatusCodes.Status200OK, w => w.WriteBoolean("live", true));

    public Task Ready(HttpContext context)
    {
        var ready = registry.IsReady;
        return WriteJson(context, ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, w => w.WriteBoolean("ready", ready));
    }

    public Task ServerMetadata(HttpContext context) => WriteJson(context, StatusCodes.Status200OK, w =>
    {
        w.WriteString("name", _options.ServerName);
        w.WriteString("version", _options.ServerVersion);
        w.WriteStartArray("extensions");
        w.WriteStringValue("binary_tensor_data");
        w.WriteStringValue("statistics");
        w.WriteEndArray();
    });

    public Task ModelMetadata(HttpContext context, string model, string? version) => Guard(context, () =>
    {
        var found = registry.Find(model, version);
        var inputs = found.Inputs;
        var outputs = found.Outputs;
        return WriteJson(context, StatusCodes.Status200OK, w =>
        {
            w.WriteString("name", found.Name);
            w.WriteStartArray("versions");
            w.WriteStringValue(found.Version);
            w.WriteEndArray();
            w.WriteString("platform", found.Platform);
            WriteSpecs(w, "inputs", inputs);
            WriteSpecs(w, "outputs", outputs);
        });
    });

    public Task ModelReady(HttpContext context, string model, string? version) => Guard(context, () =>
    {
        var found = registry.Find(model, version);
        var ready = found.IsReady;
        return WriteJson(context, ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, w =>
        {
            w.WriteString("name", found.Name);
            w.WriteBoolean("ready", ready);
        });
    });

    public Task Statistics(HttpContext context, string? model, string? version) => Guard(context, () =>
    {
        var models = model is null ? [.. registry.Models] : new[] { registry.Find(model, version) };
        return WriteJson(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartArray("model_stats");
            foreach (var m in models.OrderBy(m => m.Name, StringComparer.Ordinal))
            {
                WriteStatistics(w, m, statistics.For(m.MetricsName));
            }

            w.WriteEndArray();
        });
    });

    public async Task Infer(HttpContext context, string model, string? version)
    {
        var started = _time.GetTimestamp();
        IInferenceModel? found = null;
        var rows = 0;
        try
        {
            found = registry.Find(model, version);
            var body = await ReadBodyAsync(context).ConfigureAwait(false);
            var headerLength = body.Length;
            if (context.Request.Headers.TryGetValue(HeaderLengthName, out var header))
            {
                if (!int.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out headerLength))
                {
                    throw OpenInferenceException.BadRequest($"{HeaderLengthName} is not a non-negative integer ('{header}').");
                }
            }

            var request = JsonTensorReader.Read(body, headerLength, _options.MaxTensorElements);
            var outputs = await found.InferAsync(request, context.RequestAborted).ConfigureAwait(false);
            rows = outputs.Count > 0 && outputs[0].Shape.Length > 0 ? (int)outputs[0].Shape[0] : 1;
            await WriteInferResponse(context, found, request, outputs).ConfigureAwait(false);
            statistics.RecordRequest(found, true, _time.GetTimestamp() - started, rows);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception ex)
        {
            if (found is not null)
            {
                statistics.RecordRequest(found, false, _time.GetTimestamp() - started, rows);
            }

            var (status, message) = ErrorMapping.ToHttp(ex);
            await WriteError(context, status, message).ConfigureAwait(false);
        }
    }

    private static async Task WriteInferResponse(HttpContext context, IInferenceModel model, InferenceRequest request, IReadOnlyList<InferTensor> outputs)
    {
        var json = new ArrayBufferWriter<byte>(4096);
        var binary = JsonTensorWriter.WriteHeader(json, model, request, outputs);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        if (binary.Count == 0)
        {
            response.ContentType = "application/json";
            response.ContentLength = json.WrittenCount;
            await response.Body.WriteAsync(json.WrittenMemory).ConfigureAwait(false);
            return;
        }

        long length = json.WrittenCount;
        foreach (var tensor in binary)
        {
            length += TensorCodec.ByteLength(tensor);
        }

        response.ContentType = "application/octet-stream";
        response.Headers[HeaderLengthName] = json.WrittenCount.ToString(CultureInfo.InvariantCulture);
        response.ContentLength = length;
        var writer = response.BodyWriter;
        writer.Write(json.WrittenSpan);
        foreach (var tensor in binary)
        {
            TensorCodec.Write(tensor, writer);
        }

        await writer.FlushAsync().ConfigureAwait(false);
    }

    private async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpContext context)
    {
        var max = _options.MaxRequestBodySize;
        var declared = context.Request.ContentLength;
        if (declared > max)
        {
            throw new OpenInferenceException(StatusCodes.Status413PayloadTooLarge, $"The request body is {declared} bytes; the server takes at most {max}.");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            // The server's own limit is the one that applies here.
            limit.MaxRequestBodySize = (long)max + 1;
        }

        var stream = context.Request.Body;
        if (declared is { } exact)
        {
            var body = new byte[exact];
            await stream.ReadExactlyAsync(body, context.RequestAborted).ConfigureAwait(false);
            return body;
        }

        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        while (true)
        {
            var memory = buffer.GetMemory(16 * 1024);
            var read = await stream.ReadAsync(memory, context.RequestAborted).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.WrittenMemory;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > max)
            {
                throw new OpenInferenceException(StatusCodes.Status413PayloadTooLarge, $"The request body exceeds the {max} bytes the server takes.");
            }
        }
    }

    private static async Task Guard(HttpContext context, Func<Task> handler)
    {
        try
        {
            await handler().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var (status, message) = ErrorMapping.ToHttp(ex);
            await WriteError(context, status, message).ConfigureAwait(false);
        }
    }

    private static Task WriteError(HttpContext context, int status, string message)
        => context.Response.HasStarted ? Task.CompletedTask : WriteJson(context, status, w => w.WriteString("error", message));

    private static async Task WriteJson(HttpContext context, int status, Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, JsonTensorWriter.WriterOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory).ConfigureAwait(false);
    }

    private static void WriteSpecs(Utf8JsonWriter w, string name, IReadOnlyList<TensorSpec> specs)
    {
        w.WriteStartArray(name);
        foreach (var spec in specs)
        {
            w.WriteStartObject();
            w.WriteString("name", spec.Name);
            w.WriteString("datatype", spec.DataType.Name());
            w.WriteStartArray("shape");
            foreach (var dim in spec.Shape)
            {
                w.WriteNumberValue(dim);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteStatistics(Utf8JsonWriter w, IInferenceModel model, ModelStatistics s)
    {
        w.WriteStartObject();
        w.WriteString("name", model.Name);
        w.WriteString("version", model.Version);
        w.WriteNumber("last_inference", Interlocked.Read(ref s.LastInferenceMs));
        w.WriteNumber("inference_count", Interlocked.Read(ref s.InferenceCount));
        w.WriteNumber("execution_count", Interlocked.Read(ref s.ExecutionCount));
        w.WriteStartObject("inference_stats");
        Duration(w, "success", s.SuccessCount, s.SuccessNs);
        Duration(w, "fail", s.FailCount, s.FailNs);
        Duration(w, "queue", s.QueueCount, s.QueueNs);
        Duration(w, "compute_input", 0, 0);
        Duration(w, "compute_infer", s.ComputeCount, s.ComputeNs);
        Duration(w, "compute_output", 0, 0);
        w.WriteEndObject();
        w.WriteStartArray("batch_stats");
        foreach (var (size, batch) in s.Batches.OrderBy(b => b.Key))
        {
            w.WriteStartObject();
            w.WriteNumber("batch_size", size);
            Duration(w, "compute_input", 0, 0);
            Duration(w, "compute_infer", batch.Count, batch.Ns);
            Duration(w, "compute_output", 0, 0);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Duration(Utf8JsonWriter w, string name, long count, long ns)
    {
        w.WriteStartObject(name);
        w.WriteNumber("count", Interlocked.Read(ref count));
        w.WriteNumber("ns", Interlocked.Read(ref ns));
        w.WriteEndObject();
    }
}
