using Microsoft.Extensions.Options;

namespace MLNetInference.Serving.Internal;

/// <summary>Validates a pool's registrations at startup, naming the model and the setting.</summary>
internal sealed class PoolRegistrationsValidator<TData, TPrediction> : IValidateOptions<PoolRegistrations<TData, TPrediction>>
    where TData : class
    where TPrediction : class, new()
{
    public ValidateOptionsResult Validate(string? name, PoolRegistrations<TData, TPrediction> options)
    {
        var errors = new List<string>();
        if (options.Models.Count == 0)
        {
            errors.Add($"The prediction engine pool for {typeof(TData).Name} → {typeof(TPrediction).Name} has no model: call FromFile, FromOnnxFile, FromUri or FromLoader.");
        }

        foreach (var modelName in options.Models.Keys)
        {
            foreach (var error in options.BatchingFor(modelName).Validate())
            {
                errors.Add($"Model '{PoolRegistrations<TData, TPrediction>.DisplayName(modelName)}': {error}");
            }
        }

        foreach (var (modelName, target) in options.Overflow)
        {
            if (!options.Models.ContainsKey(modelName) || !options.Models.ContainsKey(target) || modelName == target)
            {
                errors.Add($"Model '{PoolRegistrations<TData, TPrediction>.DisplayName(modelName)}' overflows to '{PoolRegistrations<TData, TPrediction>.DisplayName(target)}': both must be models of the pool, and different.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
