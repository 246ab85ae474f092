using System.Globalization;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>Checks a decoded request against a model's inputs and outputs before any of it reaches the batcher.</summary>
internal static class RequestChecks
{
    /// <summary>
    /// Checks that every input is known and present once, with the model's datatype and rank, fixed axes matching,
    /// and one shared batch size; returns the batch size (the first axis).
    /// </summary>
    public static int CheckInputs(string model, IReadOnlyList<TensorSpec> specs, InferenceRequest request)
    {
        foreach (var input in request.Inputs)
        {
            if (Find(specs, input.Name) is null)
            {
                throw OpenInferenceException.BadRequest($"Model '{model}' has no input named '{input.Name}'. Its inputs are: {Names(specs)}.");
            }
        }

        var batch = -1;
        foreach (var spec in specs)
        {
            var input = request.FindInput(spec.Name)
                ?? throw OpenInferenceException.BadRequest($"Input '{spec.Name}' is missing; model '{model}' takes: {Names(specs)}.");
            if (input.DataType != spec.DataType)
            {
                throw OpenInferenceException.BadRequest($"Input '{spec.Name}' has datatype {input.DataType.Name()}; model '{model}' takes {spec.DataType.Name()}.");
            }

            if (input.Shape.Length != spec.Shape.Length)
            {
                throw OpenInferenceException.BadRequest($"Input '{spec.Name}' has shape {Format(input.Shape)}; model '{model}' takes {Format(spec.Shape)} (rank {spec.Shape.Length}, -1 for a variable axis).");
            }

            for (var a = 1; a < spec.Shape.Length; a++)
            {
                if (spec.Shape[a] >= 0 && input.Shape[a] != spec.Shape[a])
                {
                    throw OpenInferenceException.BadRequest($"Input '{spec.Name}' has shape {Format(input.Shape)}; model '{model}' takes {Format(spec.Shape)}: axis {a} must be {spec.Shape[a]}.");
                }
            }

            var rows = input.Shape.Length == 0 ? 1 : input.Shape[0];
            if (rows <= 0)
            {
                throw OpenInferenceException.BadRequest($"Input '{spec.Name}' has shape {Format(input.Shape)}: its first axis (the batch) must be at least 1.");
            }

            if (batch >= 0 && rows != batch)
            {
                throw OpenInferenceException.BadRequest($"Input '{spec.Name}' has {rows} rows (shape {Format(input.Shape)}) but other inputs have {batch}; every input's first axis is the batch.");
            }

            batch = (int)rows;
        }

        return Math.Max(batch, 1);
    }

    /// <summary>The outputs to answer, in the model's order when the request names none.</summary>
    public static IReadOnlyList<TensorSpec> SelectOutputs(string model, IReadOnlyList<TensorSpec> specs, InferenceRequest request)
    {
        if (request.Outputs.Count == 0)
        {
            return specs;
        }

        var selected = new TensorSpec[request.Outputs.Count];
        for (var i = 0; i < selected.Length; i++)
        {
            selected[i] = Find(specs, request.Outputs[i].Name)
                ?? throw OpenInferenceException.BadRequest($"Model '{model}' has no output named '{request.Outputs[i].Name}'. Its outputs are: {Names(specs)}.");
        }

        return selected;
    }

    public static TensorSpec? Find(IReadOnlyList<TensorSpec> specs, string name)
    {
        foreach (var spec in specs)
        {
            if (string.Equals(spec.Name, name, StringComparison.Ordinal))
            {
                return spec;
            }
        }

        return null;
    }

    public static string Format(IReadOnlyList<long> shape)
    {
        var parts = new string[shape.Count];
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = shape[i].ToString(CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }

    private static string Names(IReadOnlyList<TensorSpec> specs)
    {
        var names = new string[specs.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = $"{specs[i].Name} ({specs[i].DataType.Name()} {Format(specs[i].Shape)})";
        }

        return string.Join(", ", names);
    }
}
