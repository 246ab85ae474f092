using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Optimizers.Passes;

/// <summary>
/// One optimization pass over an ONNX model: it has a name and rewrites the model in place, telling whether it changed
/// anything. The public <see cref="Run"/> wraps the pass's core with checks, so that a failing pass is named.
/// </summary>
public abstract class ModelPass
{
    /// <summary>Gets the pass's name, used in reports and errors.</summary>
    public abstract string Name { get; }

    /// <summary>Runs the pass.</summary>
    /// <param name="model">The model, rewritten in place.</param>
    /// <returns><see langword="true"/> when the model changed.</returns>
    /// <exception cref="PassFailedException">The pass threw; the message names it.</exception>
    public bool Run(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Graph is null)
        {
            throw new PassFailedException(Name, $"Pass '{Name}' got a model without a graph.");
        }

        try
        {
            return RunCore(model);
        }
        catch (PassFailedException)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new PassFailedException(Name, $"Pass '{Name}' failed: {ex.Message}", ex);
        }
    }

    /// <summary>The pass's work.</summary>
    /// <param name="model">The model, rewritten in place.</param>
    /// <returns><see langword="true"/> when the model changed.</returns>
    protected abstract bool RunCore(ModelProto model);
}
