using MLNetInference.Core;
using System.Reflection;
using Microsoft.ML.Data;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Serving.Internal;

/// <summary>
/// The fast path for a raw ONNX model whose request and prediction types hold plain arrays: each request's arrays
/// go to the shared <see cref="BatchRunner"/> as row tensors (no copy), one Run serves the batch, and each row's
/// un-padded outputs are set on its prediction. No ML.NET data view is built per batch.
/// </summary>
internal sealed class DirectOnnxExecutor<TData, TPrediction> : IBatchExecutor<TData, TPrediction>
    where TData : class
    where TPrediction : class, new()
{
    private readonly BatchRunner _runner;
    private readonly Func<TData, RowTensor>[] _inputs;
    private readonly (int Output, Action<TPrediction, BatchResult, int> Set)[] _outputs;

    private DirectOnnxExecutor(BatchRunner runner, Func<TData, RowTensor>[] inputs, (int, Action<TPrediction, BatchResult, int>)[] outputs)
    {
        _runner = runner;
        _inputs = inputs;
        _outputs = outputs;
    }

    /// <summary>Builds the executor, or returns <see langword="null"/> when a member does not map onto the model as a plain array.</summary>
    public static DirectOnnxExecutor<TData, TPrediction>? TryCreate(BatchRunner runner, IReadOnlyDictionary<string, string> inputColumns, IReadOnlyDictionary<string, string> outputColumns)
    {
        var inputs = new Func<TData, RowTensor>[runner.InputCount];
        for (var i = 0; i < inputs.Length; i++)
        {
            var name = runner.InputNames[i];
            var column = inputColumns.TryGetValue(name, out var mapped) ? mapped : name;
            var member = ColumnMembers.Find(typeof(TData), column);
            var element = runner.Model.Metadata.FindInput(name)!.ClrType;
            if (member is null || element is null || ColumnMembers.MemberType(member) != element.MakeArrayType())
            {
                return null;
            }

            inputs[i] = InputAccessor(member, column);
        }

        var outputs = new List<(int, Action<TPrediction, BatchResult, int>)>();
        for (var o = 0; o < runner.OutputNames.Count; o++)
        {
            var name = runner.OutputNames[o];
            var column = outputColumns.Count == 0 ? name : outputColumns.TryGetValue(name, out var mapped) ? mapped : null;
            if (column is null)
            {
                continue;
            }

            var member = ColumnMembers.Find(typeof(TPrediction), column);
            if (member is null)
            {
                continue;
            }

            var setter = OutputSetter(member, runner.Model.Metadata.FindOutput(name)!.ClrType, o);
            if (setter is null)
            {
                return null;
            }

            outputs.Add((o, setter));
        }

        return outputs.Count == 0 ? null : new DirectOnnxExecutor<TData, TPrediction>(runner, inputs, [.. outputs]);
    }

    public void Execute(ReadOnlySpan<TData> requests, Span<TPrediction> results)
    {
        var width = _inputs.Length;
        var rows = new RowTensor[requests.Length * width];
        for (var r = 0; r < requests.Length; r++)
        {
            for (var i = 0; i < width; i++)
            {
                rows[(r * width) + i] = _inputs[i](requests[r]);
            }
        }

        using var result = _runner.Run(rows);
        for (var r = 0; r < requests.Length; r++)
        {
            var prediction = new TPrediction();
            foreach (var (_, set) in _outputs)
            {
                set(prediction, result, r);
            }

            results[r] = prediction;
        }
    }

    private static Func<TData, RowTensor> InputAccessor(MemberInfo member, string column)
    {
        Func<TData, Array?> read = member is PropertyInfo property
            ? property.GetMethod!.CreateDelegate<Func<TData, Array?>>()
            : data => (Array?)((FieldInfo)member).GetValue(data);
        return data => read(data) is { } values
            ? RowTensor.FromArray(values, values.Length)
            : throw new InvalidInputException(column, $"Member '{column}' of the request is null.");
    }

    private static Action<TPrediction, BatchResult, int>? OutputSetter(MemberInfo member, Type? element, int output)
    {
        if (element is null || ColumnMembers.MemberType(member) != element.MakeArrayType())
        {
            return null;
        }

        var method = typeof(DirectOnnxExecutor<TData, TPrediction>).GetMethod(nameof(TypedSetter), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(element);
        return (Action<TPrediction, BatchResult, int>)method.Invoke(null, [member, output])!;
    }

    private static Action<TPrediction, BatchResult, int> TypedSetter<T>(MemberInfo member, int output)
        where T : unmanaged
    {
        Action<TPrediction, T[]> write = member is PropertyInfo property
            ? property.SetMethod!.CreateDelegate<Action<TPrediction, T[]>>()
            : (prediction, value) => ((FieldInfo)member).SetValue(prediction, value);
        return (prediction, result, row) => write(prediction, result.GetRowArray<T>(output, row));
    }
}
