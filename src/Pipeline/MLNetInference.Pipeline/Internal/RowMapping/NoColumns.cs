namespace MLNetInference.Pipeline.Internal.RowMapping;

/// <summary>A row type with no columns, for stock estimators that must read nothing.</summary>
internal sealed class NoColumns
{
}
