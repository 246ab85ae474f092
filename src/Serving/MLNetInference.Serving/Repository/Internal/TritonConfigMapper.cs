using System.Globalization;
using System.Runtime.CompilerServices;

namespace MLNetInference.Serving.Repository.Internal;

/// <summary>Maps a parsed text-format message onto a <see cref="TritonModelConfig"/>, field by field, and checks the result.</summary>
internal sealed class TritonConfigMapper
{
    private static readonly HashSet<string> IgnoredTopLevel = new(StringComparer.Ordinal)
    {
        "version_policy", "optimization", "sequence_batching", "ensemble_scheduling", "cc_model_filenames", "metric_tags",
        "model_operations", "model_transaction_policy", "model_repository_agents", "response_cache", "batch_input",
        "batch_output", "runtime",
    };

    private static readonly HashSet<string> IgnoredTensor = new(StringComparer.Ordinal) { "format", "is_shape_tensor", "label_filename", "is_non_linear_format_io" };

    private static readonly HashSet<string> IgnoredBatching = new(StringComparer.Ordinal) { "priority_levels", "default_priority_level", "default_queue_policy", "priority_queue_policy" };

    private static readonly HashSet<string> IgnoredInstanceGroup = new(StringComparer.Ordinal) { "rate_limiter", "profile", "passive", "host_policy", "secondary_devices" };

    private readonly string _source;
    private readonly ConditionalWeakTable<object, StrongBox<int>> _lines = [];

    private TritonConfigMapper(string source) => _source = source;

    public static TritonModelConfig Map(TextMessage message, string source)
    {
        var mapper = new TritonConfigMapper(source);
        var config = mapper.MapConfig(message);
        var problems = Validate(config, mapper.LineOf);
        if (problems.Count > 0)
        {
            throw new ModelConfigException(source, problems[0].Line, problems[0].Problem);
        }

        return config;
    }

    /// <summary>Checks a configuration; <paramref name="lineOf"/> gives the line each part was read from (0 when built in code).</summary>
    public static List<(int Line, string Problem)> Validate(TritonModelConfig config, Func<object, int> lineOf)
    {
        var problems = new List<(int, string)>();
        var top = lineOf(config);
        if (string.IsNullOrWhiteSpace(config.Name))
        {
            problems.Add((top, "the model has no 'name'."));
        }

        if (config.MaxBatchSize < 0)
        {
            problems.Add((top, $"'max_batch_size' must be 0 (no batching) or more, not {config.MaxBatchSize}."));
        }

        CheckTensors(config.Inputs, "input", lineOf, problems);
        CheckTensors(config.Outputs, "output", lineOf, problems);
        if (config.DynamicBatching is { } batching)
        {
            var line = lineOf(batching);
            if (config.MaxBatchSize == 0)
            {
                problems.Add((line, "'dynamic_batching' needs a 'max_batch_size' above 0; a model that does not batch cannot batch requests."));
            }

            if (batching.MaxQueueDelayMicroseconds < 0)
            {
                problems.Add((line, $"'max_queue_delay_microseconds' must not be negative, not {batching.MaxQueueDelayMicroseconds}."));
            }

            foreach (var size in batching.PreferredBatchSizes)
            {
                if (size < 1 || (config.MaxBatchSize > 0 && size > config.MaxBatchSize))
                {
                    problems.Add((line, $"'preferred_batch_size' {size} must be between 1 and 'max_batch_size' ({config.MaxBatchSize})."));
                }
            }
        }

        foreach (var group in config.InstanceGroups)
        {
            var line = lineOf(group);
            if (group.Count < 1)
            {
                problems.Add((line, $"an 'instance_group' 'count' must be at least 1, not {group.Count}."));
            }

            if (!Enum.IsDefined(group.Kind))
            {
                problems.Add((line, $"an 'instance_group' has an unknown 'kind' ({(int)group.Kind})."));
            }

            if (group.Gpus.Count > 0 && group.Kind is TritonInstanceKind.Cpu or TritonInstanceKind.Model)
            {
                problems.Add((line, $"an 'instance_group' of kind {TritonNames.Kind(group.Kind)} cannot list 'gpus'."));
            }

            foreach (var gpu in group.Gpus)
            {
                if (gpu < 0)
                {
                    problems.Add((line, $"'gpus' lists the negative device id {gpu}."));
                }
            }
        }

        foreach (var warmup in config.Warmups)
        {
            var line = lineOf(warmup);
            var largest = Math.Max(1, config.MaxBatchSize);
            if (warmup.BatchSize < 1 || warmup.BatchSize > largest)
            {
                problems.Add((line, $"the warmup sample '{warmup.Name}' has 'batch_size' {warmup.BatchSize}; it must be between 1 and {largest}."));
            }

            if (warmup.Count < 0)
            {
                problems.Add((line, $"the warmup sample '{warmup.Name}' has a negative 'count'."));
            }

            foreach (var (name, input) in warmup.Inputs)
            {
                var inputLine = lineOf(input);
                if (input.DataType == TritonDataType.Invalid || !Enum.IsDefined(input.DataType))
                {
                    problems.Add((inputLine, $"the warmup input '{name}' has no valid 'data_type'."));
                }

                foreach (var dim in input.Dims)
                {
                    if (dim < 1)
                    {
                        problems.Add((inputLine, $"the warmup input '{name}' has the dimension {dim}; warmup data needs fixed dimensions of at least 1."));
                        break;
                    }
                }

                if (input.Data == TritonWarmupData.File && string.IsNullOrWhiteSpace(input.InputDataFile))
                {
                    problems.Add((inputLine, $"the warmup input '{name}' reads a file but names none in 'input_data_file'."));
                }
            }
        }

        return problems;
    }

    private static void CheckTensors(IList<TritonTensorConfig> tensors, string kind, Func<object, int> lineOf, List<(int, string)> problems)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in tensors)
        {
            var line = lineOf(tensor);
            if (string.IsNullOrWhiteSpace(tensor.Name))
            {
                problems.Add((line, $"an '{kind}' has no 'name'."));
                continue;
            }

            if (!names.Add(tensor.Name))
            {
                problems.Add((line, $"the {kind} '{tensor.Name}' is listed twice."));
            }

            if (tensor.DataType == TritonDataType.Invalid || !Enum.IsDefined(tensor.DataType))
            {
                problems.Add((line, $"the {kind} '{tensor.Name}' has no valid 'data_type' (TYPE_FP32, TYPE_INT64, ...)."));
            }

            if (tensor.Dims.Count == 0)
            {
                problems.Add((line, $"the {kind} '{tensor.Name}' has no 'dims'; give at least one (use [ 1 ] with reshape {{ shape: [ ] }} for one value per batch row)."));
            }

            foreach (var dim in tensor.Dims)
            {
                if (dim < -1)
                {
                    problems.Add((line, $"the {kind} '{tensor.Name}' has the dimension {dim}; a dimension is -1 (variable) or 0 and more."));
                    break;
                }
            }
        }
    }

    private int LineOf(object part) => _lines.TryGetValue(part, out var box) ? box.Value : 0;

    private T Remember<T>(T part, int line)
        where T : class
    {
        _lines.AddOrUpdate(part, new StrongBox<int>(line));
        return part;
    }

    private TritonModelConfig MapConfig(TextMessage message)
    {
        var config = Remember(new TritonModelConfig { Platform = null }, message.Fields.Count > 0 ? message.Fields[0].Line : 1);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in message.Fields)
        {
            switch (field.Name)
            {
                case "name":
                    Once(seen, field);
                    config.Name = String(field);
                    break;
                case "platform":
                    Once(seen, field);
                    config.Platform = String(field);
                    break;
                case "backend":
                    Once(seen, field);
                    config.Backend = String(field);
                    break;
                case "default_model_filename":
                    Once(seen, field);
                    config.DefaultModelFileName = String(field);
                    break;
                case "max_batch_size":
                    Once(seen, field);
                    config.MaxBatchSize = Int32(field);
                    break;
                case "input":
                    config.Inputs.Add(MapTensor(Message(field), field.Line, isInput: true));
                    break;
                case "output":
                    config.Outputs.Add(MapTensor(Message(field), field.Line, isInput: false));
                    break;
                case "dynamic_batching":
                    Once(seen, field);
                    config.DynamicBatching = MapBatching(Message(field), field.Line);
                    break;
                case "instance_group":
                    config.InstanceGroups.Add(MapInstanceGroup(Message(field), field.Line));
                    break;
                case "parameters":
                {
                    var (key, value) = MapParameter(Message(field), field.Line);
                    if (!config.Parameters.TryAdd(key, value))
                    {
                        throw Error(field.Line, $"the parameter '{key}' is set twice.");
                    }

                    break;
                }

                case "model_warmup":
                    config.Warmups.Add(MapWarmup(Message(field), field.Line));
                    break;
                default:
                    Unknown(field, IgnoredTopLevel, "the model configuration");
                    break;
            }
        }

        return config;
    }

    private TritonTensorConfig MapTensor(TextMessage message, int line, bool isInput)
    {
        var tensor = Remember(new TritonTensorConfig(), line);
        var kind = isInput ? "an input" : "an output";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in message.Fields)
        {
            switch (field.Name)
            {
                case "name":
                    Once(seen, field);
                    tensor.Name = String(field);
                    break;
                case "data_type":
                    Once(seen, field);
                    tensor.DataType = DataType(field);
                    break;
                case "dims":
                    tensor.Dims.Add(Int64(field));
                    break;
                case "reshape":
                {
                    Once(seen, field);
                    var shape = new List<long>();
                    foreach (var inner in Message(field).Fields)
                    {
                        if (inner.Name != "shape")
                        {
                            throw Error(inner.Line, $"'reshape' has no field '{inner.Name}'; it holds 'shape'.");
                        }

                        shape.Add(Int64(inner));
                    }

                    tensor.Reshape = shape;
                    break;
                }

                case "allow_ragged_batch" when isInput:
                    Once(seen, field);
                    tensor.AllowRaggedBatch = Bool(field);
                    break;
                case "optional" when isInput:
                    Once(seen, field);
                    tensor.Optional = Bool(field);
                    break;
                default:
                    Unknown(field, IgnoredTensor, kind);
                    break;
            }
        }

        return tensor;
    }

    private TritonDynamicBatching MapBatching(TextMessage message, int line)
    {
        var batching = Remember(new TritonDynamicBatching(), line);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in message.Fields)
        {
            switch (field.Name)
            {
                case "preferred_batch_size":
                    batching.PreferredBatchSizes.Add(Int32(field));
                    break;
                case "max_queue_delay_microseconds":
                    Once(seen, field);
                    batching.MaxQueueDelayMicroseconds = Int64(field);
                    break;
                case "preserve_ordering":
                    Once(seen, field);
                    batching.PreserveOrdering = Bool(field);
                    break;
                default:
                    Unknown(field, IgnoredBatching, "'dynamic_batching'");
                    break;
            }
        }

        return batching;
    }

    private TritonInstanceGroup MapInstanceGroup(TextMessage message, int line)
    {
        var group = Remember(new TritonInstanceGroup(), line);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in message.Fields)
        {
            switch (field.Name)
            {
                case "name":
                    Once(seen, field);
                    group.Name = String(field);
                    break;
                case "count":
                    Once(seen, field);
                    group.Count = Int32(field);
                    break;
                case "kind":
                    Once(seen, field);
                    group.Kind = EnumValue<TritonInstanceKind>(field, TritonNames.TryParseKind, "KIND_AUTO, KIND_GPU, KIND_CPU or KIND_MODEL");
                    break;
                case "gpus":
                    group.Gpus.Add(Int32(field));
                    break;
                default:
                    Unknown(field, IgnoredInstanceGroup, "an 'instance_group'");
                    break;
            }
        }

        return group;
    }

    private (string Key, string Value) MapParameter(TextMessage message, int line)
    {
        string? key = null;
        string? value = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in message.Fields)
        {
            switch (field.Name)
            {
                case "key":
                    Once(seen, field);
                    key = String(field);
                    break;
                case "value":
                    Once(seen, field);
                    foreach (var inner in Message(field).Fields)
                    {
                        if (inner.Name != "string_value")
                        {
                            throw Error(inner.Line, $"a parameter value has no field '{inner.Name}'; it holds 'string_value'.");
                        }

                        value = String(inner);
                    }

                    break;
                default:
                    throw Error(field.Line, $"a 'parameters' entry has no field '{field.Name}'; it holds 'key' and 'value'.");
            }
        }

        if (key is null)
        {
            throw Error(line, "a 'parameters' entry has no 'key'.");
        }

        return (key, value ?? string.Empty);
    }

    private TritonModelWarmup MapWarmup(TextMessage message, int line)
    {
        var warmup = Remember(new TritonModelWarmup(), line);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in message.Fields)
        {
            switch (field.Name)
            {
                case "name":
                    Once(seen, field);
                    warmup.Name = String(field);
                    break;
                case "batch_size":
                    Once(seen, field);
                    warmup.BatchSize = Int32(field);
                    break;
                case "count":
                    Once(seen, field);
                    warmup.Count = Int32(field);
                    break;
                case "inputs":
                {
                    var (name, input) = MapWarmupInput(Message(field), field.Line);
                    if (!warmup.Inputs.TryAdd(name, input))
                    {
                        throw Error(field.Line, $"the warmup sample '{warmup.Name}' gives the input '{name}' twice.");
                    }

                    break;
                }

                default:
                    throw Error(field.Line, $"'model_warmup' has no field '{field.Name}'; it holds name, batch_size, inputs and count.");
            }
        }

        return warmup;
    }

    private (string Name, TritonWarmupInput Input) MapWarmupInput(TextMessage message, int line)
    {
        string? key = null;
        TritonWarmupInput? input = null;
        foreach (var field in message.Fields)
        {
            switch (field.Name)
            {
                case "key":
                    key = String(field);
                    break;
                case "value":
                    input = Remember(new TritonWarmupInput(), field.Line);
                    var data = 0;
                    foreach (var inner in Message(field).Fields)
                    {
                        switch (inner.Name)
                        {
                            case "data_type":
                                input.DataType = DataType(inner);
                                break;
                            case "dims":
                                input.Dims.Add(Int64(inner));
                                break;
                            case "zero_data":
                                data++;
                                input.Data = Bool(inner) ? TritonWarmupData.Zero : input.Data;
                                break;
                            case "random_data":
                                data++;
                                input.Data = Bool(inner) ? TritonWarmupData.Random : input.Data;
                                break;
                            case "input_data_file":
                                data++;
                                input.Data = TritonWarmupData.File;
                                input.InputDataFile = String(inner);
                                break;
                            default:
                                throw Error(inner.Line, $"a warmup input has no field '{inner.Name}'; it holds data_type, dims and one of zero_data, random_data or input_data_file.");
                        }
                    }

                    if (data > 1)
                    {
                        throw Error(field.Line, "a warmup input sets more than one of zero_data, random_data and input_data_file.");
                    }

                    break;
                default:
                    throw Error(field.Line, $"a warmup 'inputs' entry has no field '{field.Name}'; it holds 'key' and 'value'.");
            }
        }

        if (key is null || input is null)
        {
            throw Error(line, "a warmup 'inputs' entry needs both a 'key' (the input name) and a 'value'.");
        }

        return (key, input);
    }

    private void Once(HashSet<string> seen, TextField field)
    {
        if (!seen.Add(field.Name))
        {
            throw Error(field.Line, $"the field '{field.Name}' is set more than once.");
        }
    }

    private void Unknown(TextField field, HashSet<string> ignored, string where)
    {
        if (!ignored.Contains(field.Name))
        {
            throw Error(field.Line, $"{where} has no field '{field.Name}' (check the spelling against Triton's model_config.proto).");
        }
    }

    private TextMessage Message(TextField field)
        => field.Value.Message ?? throw Error(field.Line, $"'{field.Name}' must be a message in braces, not '{field.Value.Text}'.");

    private string String(TextField field)
        => field.Value.Kind == TokenKind.String ? field.Value.Text : throw Error(field.Line, $"'{field.Name}' must be a quoted string, not {Shown(field)}.");

    private long Int64(TextField field)
    {
        if (field.Value.Kind == TokenKind.Number)
        {
            var text = field.Value.Text;
            var negative = text.StartsWith('-');
            var digits = text.TrimStart('-', '+');
            if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                && long.TryParse(digits.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
            {
                return negative ? -hex : hex;
            }

            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        throw Error(field.Line, $"'{field.Name}' must be an integer, not {Shown(field)}.");
    }

    private int Int32(TextField field)
    {
        var value = Int64(field);
        return value is >= int.MinValue and <= int.MaxValue ? (int)value : throw Error(field.Line, $"'{field.Name}' is out of range ({value}).");
    }

    private bool Bool(TextField field)
    {
        if (field.Value.Kind is TokenKind.Identifier or TokenKind.Number)
        {
            switch (field.Value.Text)
            {
                case "true" or "True" or "t" or "1":
                    return true;
                case "false" or "False" or "f" or "0":
                    return false;
            }
        }

        throw Error(field.Line, $"'{field.Name}' must be true or false, not {Shown(field)}.");
    }

    private TritonDataType DataType(TextField field)
        => EnumValue<TritonDataType>(field, TritonNames.TryParseDataType, "TYPE_BOOL, TYPE_UINT8 ... TYPE_INT64, TYPE_FP16, TYPE_FP32, TYPE_FP64, TYPE_STRING or TYPE_BF16");

    private T EnumValue<T>(TextField field, TryParse<T> parse, string expected)
        where T : struct, Enum
    {
        if (field.Value.Kind == TokenKind.Identifier && parse(field.Value.Text, out var named))
        {
            return named;
        }

        if (field.Value.Kind == TokenKind.Number && int.TryParse(field.Value.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            && System.Enum.IsDefined(typeof(T), number))
        {
            return (T)(object)number;
        }

        throw Error(field.Line, $"'{field.Name}' must be one of {expected}, not {Shown(field)}.");
    }

    private static string Shown(TextField field) => field.Value.Kind switch
    {
        TokenKind.Message => "a message",
        TokenKind.String => $"\"{field.Value.Text}\"",
        _ => $"'{field.Value.Text}'",
    };

    private ModelConfigException Error(int line, string problem) => new(_source, line, problem);

    private delegate bool TryParse<T>(string text, out T value);
}
