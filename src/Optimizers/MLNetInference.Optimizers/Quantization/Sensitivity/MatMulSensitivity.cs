namespace MLNetInference.Optimizers.Quantization.Sensitivity;

/// <summary>How much one weight MatMul's output changes when only that MatMul is quantized.</summary>
/// <param name="NodeName">The MatMul's node name.</param>
/// <param name="RelativeError">‖Y_q − Y‖² / ‖Y‖² over the sampled rows of its real input activations.</param>
/// <param name="Rows">The activation rows the error was measured on.</param>
public sealed record MatMulSensitivity(string NodeName, double RelativeError, int Rows);
