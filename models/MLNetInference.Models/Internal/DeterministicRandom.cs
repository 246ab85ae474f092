namespace MLNetInference.Models.Internal;

/// <summary>
/// A seeded xorshift generator whose sequence never changes across runtimes, so fixture models are byte-identical
/// wherever they are built.
/// </summary>
internal sealed class DeterministicRandom
{
    private ulong _state;

    /// <summary>Initializes a new instance of the <see cref="DeterministicRandom"/> class.</summary>
    /// <param name="seed">The seed; any value.</param>
    public DeterministicRandom(ulong seed)
    {
        _state = seed * 0x9E3779B97F4A7C15UL + 0x2545F4914F6CDD1DUL;
        if (_state == 0)
        {
            _state = 1;
        }
    }

    /// <summary>Returns the next value, uniform in [-<paramref name="scale"/>, <paramref name="scale"/>).</summary>
    /// <param name="scale">Half the width of the range.</param>
    /// <returns>The value.</returns>
    public float NextSymmetric(float scale)
    {
        _state ^= _state << 13;
        _state ^= _state >> 7;
        _state ^= _state << 17;
        var unit = (_state >> 40) / (float)(1UL << 24);
        return ((unit * 2f) - 1f) * scale;
    }

    /// <summary>Returns <paramref name="count"/> values from <see cref="NextSymmetric"/>.</summary>
    /// <param name="count">How many values.</param>
    /// <param name="scale">Half the width of the range.</param>
    /// <returns>The values.</returns>
    public float[] NextArray(int count, float scale)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = NextSymmetric(scale);
        }

        return values;
    }
}
