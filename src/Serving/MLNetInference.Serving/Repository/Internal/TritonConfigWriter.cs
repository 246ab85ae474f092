using System.Globalization;
using System.Text;

namespace MLNetInference.Serving.Repository.Internal;

/// <summary>Writes a <see cref="TritonModelConfig"/> as protobuf text format, in the layout of Triton's documentation.</summary>
internal static class TritonConfigWriter
{
    public static string Write(TritonModelConfig config)
    {
        var w = new Writer();
        w.Line($"name: {Quote(config.Name)}");
        if (config.Platform is { } platform)
        {
            w.Line($"platform: {Quote(platform)}");
        }

        if (config.Backend is { } backend)
        {
            w.Line($"backend: {Quote(backend)}");
        }

        if (config.DefaultModelFileName is { } file)
        {
            w.Line($"default_model_filename: {Quote(file)}");
        }

        w.Line($"max_batch_size: {Number(config.MaxBatchSize)}");
        WriteTensors(w, "input", config.Inputs, isInput: true);
        WriteTensors(w, "output", config.Outputs, isInput: false);
        if (config.DynamicBatching is { } batching)
        {
            w.Open("dynamic_batching {");
            if (batching.PreferredBatchSizes.Count > 0)
            {
                w.Line($"preferred_batch_size: {List(batching.PreferredBatchSizes.Select(s => (long)s))}");
            }

            w.Line($"max_queue_delay_microseconds: {Number(batching.MaxQueueDelayMicroseconds)}");
            if (batching.PreserveOrdering)
            {
                w.Line("preserve_ordering: true");
            }

            w.Close("}");
        }

        if (config.InstanceGroups.Count > 0)
        {
            w.Open("instance_group [");
            for (var i = 0; i < config.InstanceGroups.Count; i++)
            {
                var group = config.InstanceGroups[i];
                w.Open("{");
                if (group.Name is { } name)
                {
                    w.Line($"name: {Quote(name)}");
                }

                w.Line($"count: {Number(group.Count)}");
                w.Line($"kind: {TritonNames.Kind(group.Kind)}");
                if (group.Gpus.Count > 0)
                {
                    w.Line($"gpus: {List(group.Gpus.Select(g => (long)g))}");
                }

                w.Close(i + 1 < config.InstanceGroups.Count ? "}," : "}");
            }

            w.Close("]");
        }

        foreach (var (key, value) in config.Parameters)
        {
            w.Open("parameters {");
            w.Line($"key: {Quote(key)}");
            w.Line($"value: {{ string_value: {Quote(value)} }}");
            w.Close("}");
        }

        if (config.Warmups.Count > 0)
        {
            w.Open("model_warmup [");
            for (var i = 0; i < config.Warmups.Count; i++)
            {
                var warmup = config.Warmups[i];
                w.Open("{");
                w.Line($"name: {Quote(warmup.Name)}");
                w.Line($"batch_size: {Number(warmup.BatchSize)}");
                if (warmup.Count > 0)
                {
                    w.Line($"count: {Number(warmup.Count)}");
                }

                foreach (var (name, input) in warmup.Inputs)
                {
                    w.Open("inputs {");
                    w.Line($"key: {Quote(name)}");
                    w.Open("value: {");
                    w.Line($"data_type: {TritonNames.DataType(input.DataType)}");
                    w.Line($"dims: {List(input.Dims)}");
                    w.Line(input.Data switch
                    {
                        TritonWarmupData.Random => "random_data: true",
                        TritonWarmupData.File => $"input_data_file: {Quote(input.InputDataFile ?? string.Empty)}",
                        _ => "zero_data: true",
                    });
                    w.Close("}");
                    w.Close("}");
                }

                w.Close(i + 1 < config.Warmups.Count ? "}," : "}");
            }

            w.Close("]");
        }

        return w.ToString();
    }

    private static void WriteTensors(Writer w, string field, IList<TritonTensorConfig> tensors, bool isInput)
    {
        if (tensors.Count == 0)
        {
            return;
        }

        w.Open($"{field} [");
        for (var i = 0; i < tensors.Count; i++)
        {
            var tensor = tensors[i];
            w.Open("{");
            w.Line($"name: {Quote(tensor.Name)}");
            w.Line($"data_type: {TritonNames.DataType(tensor.DataType)}");
            w.Line($"dims: {List(tensor.Dims)}");
            if (tensor.Reshape is { } reshape)
            {
                w.Line($"reshape: {{ shape: {List(reshape)} }}");
            }

            if (isInput && tensor.AllowRaggedBatch)
            {
                w.Line("allow_ragged_batch: true");
            }

            if (isInput && tensor.Optional)
            {
                w.Line("optional: true");
            }

            w.Close(i + 1 < tensors.Count ? "}," : "}");
        }

        w.Close("]");
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string List(IEnumerable<long> values) => "[ " + string.Join(", ", values.Select(Number)) + " ]";

    /// <summary>Quotes a string with C escapes; bytes outside printable ASCII are written as octal escapes of their UTF-8 form.</summary>
    private static string Quote(string value)
    {
        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            switch (b)
            {
                case (byte)'"': builder.Append("\\\""); break;
                case (byte)'\\': builder.Append("\\\\"); break;
                case (byte)'\n': builder.Append("\\n"); break;
                case (byte)'\r': builder.Append("\\r"); break;
                case (byte)'\t': builder.Append("\\t"); break;
                case < 0x20 or >= 0x7f: builder.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0')); break;
                default: builder.Append((char)b); break;
            }
        }

        return builder.Append('"').ToString();
    }

    private sealed class Writer
    {
        private readonly StringBuilder _text = new();
        private int _indent;

        public void Line(string line) => _text.Append(' ', _indent * 2).Append(line).Append('\n');

        public void Open(string line)
        {
            Line(line);
            _indent++;
        }

        public void Close(string line)
        {
            _indent--;
            Line(line);
        }

        public override string ToString() => _text.ToString();
    }
}
