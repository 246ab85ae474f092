using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>A raw ONNX file served by its tensor names.</summary>
internal sealed class OnnxModelSource(string name, string path, string version, Action<DynamicBatchingOptions>? configure) : IModelSource
{
    public override string ToString() => $"ONNX model '{name}' ({path})";

    public string Name => name;

    public IReadOnlyList<IInferenceModel> Load(IServiceProvider services)
    {
        var options = new DynamicBatchingOptions();
        configure?.Invoke(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Invalid batching options for model '{name}': {string.Join(" ", errors)}");
        }

        var model = new OnnxTensorModel(name, path, version, options, services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance, services.GetService<TimeProvider>() ?? TimeProvider.System);
        services.GetRequiredService<ModelRegistry>().Track(model);
        model.Load();
        return [model];
    }
}
