using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>
/// Shapes and raw bytes of tensors: the checked element count of a declared shape, and the little-endian row-major
/// layout of the binary extension and of gRPC's raw contents (a BYTES element is a 4-byte length, then its bytes).
/// </summary>
internal static class TensorCodec
{
    /// <summary>
    /// The number of elements a shape declares, checked before anything is allocated: no negative axis, no overflow,
    /// at most <paramref name="maxElements"/>.
    /// </summary>
    /// <exception cref="OpenInferenceException">400, naming the input.</exception>
    public static int ElementCount(string name, IReadOnlyList<long> shape, int maxElements)
    {
        long count = 1;
        for (var a = 0; a < shape.Count; a++)
        {
            var dim = shape[a];
            if (dim < 0)
            {
                throw OpenInferenceException.BadRequest($"Input '{name}' has shape {RequestChecks.Format(shape)}: axis {a} is negative.");
            }

            // PERF: the product is checked against the limit at each step, so it never overflows and a claimed
            // [2^31, 2^31] is refused here, before anything of that size exists.
            if (dim != 0 && count > maxElements / dim)
            {
                throw OpenInferenceException.BadRequest($"Input '{name}' has shape {RequestChecks.Format(shape)}, which declares more than the {maxElements} elements a tensor may hold.");
            }

            count *= dim;
        }

        return (int)count;
    }

    /// <summary>Reads <paramref name="count"/> elements of <paramref name="type"/> from raw bytes.</summary>
    /// <exception cref="OpenInferenceException">400 when the bytes do not hold exactly that many elements.</exception>
    public static Array FromBytes(string name, TensorDataType type, ReadOnlySpan<byte> bytes, int count)
    {
        if (type == TensorDataType.Bytes)
        {
            return ReadStrings(name, bytes, count);
        }

        var size = type.ElementSize();
        if ((long)count * size != bytes.Length)
        {
            throw OpenInferenceException.BadRequest($"Input '{name}' declares {count} {type.Name()} elements ({(long)count * size} bytes) but carries {bytes.Length} bytes of data.");
        }

        var data = type.Allocate(count);
        if (type == TensorDataType.Bool)
        {
            var flags = (bool[])data;
            for (var i = 0; i < flags.Length; i++)
            {
                flags[i] = bytes[i] != 0;
            }

            return data;
        }

        bytes.CopyTo(AsBytes(data));
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Binary tensors are little-endian; this machine is big-endian.");
        }

        return data;
    }

    /// <summary>Gets the number of bytes <see cref="Write"/> writes for a tensor.</summary>
    public static int ByteLength(InferTensor tensor)
    {
        if (tensor.DataType != TensorDataType.Bytes)
        {
            return tensor.Count * tensor.DataType.ElementSize();
        }

        var total = 0;
        foreach (var item in (byte[][])tensor.Data)
        {
            total += 4 + item.Length;
        }

        return total;
    }

    /// <summary>Writes a tensor's raw bytes.</summary>
    public static void Write(InferTensor tensor, IBufferWriter<byte> writer)
    {
        if (tensor.DataType == TensorDataType.Bytes)
        {
            foreach (var item in (byte[][])tensor.Data)
            {
                var span = writer.GetSpan(4 + item.Length);
                BinaryPrimitives.WriteInt32LittleEndian(span, item.Length);
                item.CopyTo(span[4..]);
                writer.Advance(4 + item.Length);
            }

            return;
        }

        writer.Write(AsBytes(tensor.Data));
    }

    /// <summary>Gets a tensor's raw bytes as a new array.</summary>
    public static byte[] ToBytes(InferTensor tensor)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(1, ByteLength(tensor)));
        Write(tensor, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The bytes of an array of a fixed-size element type (bool is one byte of 0 or 1 in .NET).</summary>
    public static Span<byte> AsBytes(Array data) => data switch
    {
        bool[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        byte[] a => a.AsSpan(),
        sbyte[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        ushort[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        short[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        uint[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        int[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        ulong[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        long[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        Half[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        float[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        double[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        _ => throw new ArgumentException($"Arrays of {data.GetType().GetElementType()} have no fixed-size layout.", nameof(data)),
    };

    private static byte[][] ReadStrings(string name, ReadOnlySpan<byte> bytes, int count)
    {
        // Each element needs at least its 4-byte length: a count the bytes cannot hold is refused before allocating.
        if (count > bytes.Length / 4)
        {
            throw OpenInferenceException.BadRequest($"Input '{name}' declares {count} BYTES elements but carries only {bytes.Length} bytes of data.");
        }

        var items = new byte[count][];
        var offset = 0;
        for (var i = 0; i < count; i++)
        {
            if (bytes.Length - offset < 4)
            {
                throw OpenInferenceException.BadRequest($"Input '{name}': BYTES element {i} has no 4-byte length (the data ends at byte {offset}).");
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes[offset..]);
            offset += 4;
            if (length < 0 || length > bytes.Length - offset)
            {
                throw OpenInferenceException.BadRequest($"Input '{name}': BYTES element {i} claims {length} bytes but {bytes.Length - offset} remain.");
            }

            items[i] = bytes.Slice(offset, length).ToArray();
            offset += length;
        }

        if (offset != bytes.Length)
        {
            throw OpenInferenceException.BadRequest($"Input '{name}' declares {count} BYTES elements but carries {bytes.Length - offset} bytes after them.");
        }

        return items;
    }
}
