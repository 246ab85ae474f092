namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>A model input or output as its metadata shows it: -1 marks a variable axis, the batch axis first.</summary>
internal sealed record TensorSpec(string Name, TensorDataType DataType, long[] Shape);
