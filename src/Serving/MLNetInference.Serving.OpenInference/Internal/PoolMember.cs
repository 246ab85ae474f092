using System.Reflection;
using System.Text;
using Microsoft.ML.Data;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>
/// One column of a pool's row type as a V2 tensor: a scalar member is a tensor of shape [N], an array member of
/// shape [N, size] (size -1 when the member declares no <see cref="VectorTypeAttribute"/>), a string member BYTES.
/// </summary>
internal sealed class PoolMember
{
    private readonly Action<object, object?>? _set;
    private readonly Func<object, object?>? _get;

    private PoolMember(string name, Type memberType, TensorDataType dataType, bool isArray, int size, Action<object, object?>? set, Func<object, object?>? get)
    {
        MemberType = memberType;
        IsArray = isArray;
        _set = set;
        _get = get;
        Spec = new TensorSpec(name, dataType, isArray ? [-1, size] : [-1]);
    }

    public TensorSpec Spec { get; }

    public Type MemberType { get; }

    public bool IsArray { get; }

    /// <summary>Reads the columns of a row type, in declaration order, skipping members it cannot carry.</summary>
    public static PoolMember[] Read(Type type, bool forInput)
    {
        var members = new List<PoolMember>();
        foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.Instance))
        {
            if (member is not (PropertyInfo or FieldInfo) || member.GetCustomAttribute<NoColumnAttribute>() is not null)
            {
                continue;
            }

            var memberType = member is PropertyInfo p ? p.PropertyType : ((FieldInfo)member).FieldType;
            var isArray = memberType.IsArray && memberType != typeof(byte[]);
            var element = isArray ? memberType.GetElementType()! : memberType;
            if (TensorDataTypes.FromClr(element) is not { } dataType)
            {
                continue;
            }

            Action<object, object?>? set = null;
            Func<object, object?>? get = null;
            if (member is PropertyInfo property)
            {
                set = property.SetMethod is { IsPublic: true } ? property.SetValue : null;
                get = property.GetMethod is { IsPublic: true } ? property.GetValue : null;
            }
            else
            {
                var field = (FieldInfo)member;
                set = field.SetValue;
                get = field.GetValue;
            }

            if ((forInput && set is null) || (!forInput && get is null))
            {
                continue;
            }

            var size = VectorSize(member);
            members.Add(new PoolMember(ColumnName(member), memberType, dataType, isArray, size, set, get));
        }

        return [.. members];
    }

    /// <summary>Sets row <paramref name="row"/> of <paramref name="tensor"/> on <paramref name="target"/>.</summary>
    public void SetFromRow(object target, InferTensor tensor, int row, int rows)
    {
        var width = tensor.Count / rows;
        object? value;
        if (IsArray)
        {
            var array = Array.CreateInstance(MemberType.GetElementType()!, width);
            Array.Copy(tensor.Data, row * width, array, 0, width);
            value = array;
        }
        else
        {
            value = tensor.Data.GetValue(row);
            if (MemberType == typeof(string))
            {
                value = Encoding.UTF8.GetString((byte[])value!);
            }
        }

        _set!(target, value);
    }

    /// <summary>Stacks this member of every prediction into one tensor.</summary>
    public InferTensor Stack<TRow>(ReadOnlySpan<TRow> predictions)
        where TRow : class
    {
        var rows = predictions.Length;
        if (!IsArray)
        {
            var data = Spec.DataType.Allocate(rows);
            for (var r = 0; r < rows; r++)
            {
                var value = _get!(predictions[r]);
                data.SetValue(value is string s ? Encoding.UTF8.GetBytes(s) : value, r);
            }

            return new InferTensor(Spec.Name, Spec.DataType, [rows], data);
        }

        var width = -1;
        var arrays = new Array[rows];
        for (var r = 0; r < rows; r++)
        {
            arrays[r] = (Array?)_get!(predictions[r]) ?? Array.CreateInstance(MemberType.GetElementType()!, 0);
            if (width >= 0 && arrays[r].Length != width)
            {
                throw new MLNetInference.Core.InvalidInputException(Spec.Name, $"'{Spec.Name}' has {width} values in row 0 and {arrays[r].Length} in row {r}; rows of different lengths cannot be stacked into one tensor.");
            }

            width = arrays[r].Length;
        }

        var stacked = Spec.DataType.Allocate(rows * width);
        for (var r = 0; r < rows; r++)
        {
            if (Spec.DataType == TensorDataType.Bytes)
            {
                for (var i = 0; i < width; i++)
                {
                    var item = arrays[r].GetValue(i);
                    stacked.SetValue(item is string s ? Encoding.UTF8.GetBytes(s) : item, (r * width) + i);
                }
            }
            else
            {
                Array.Copy(arrays[r], 0, stacked, r * width, width);
            }
        }

        return new InferTensor(Spec.Name, Spec.DataType, [rows, width], stacked);
    }

    private static int VectorSize(MemberInfo member)
    {
        // Read the attribute's constructor argument: VectorType(384) declares one fixed axis.
        foreach (var attribute in member.GetCustomAttributesData())
        {
            if (attribute.AttributeType != typeof(VectorTypeAttribute) || attribute.ConstructorArguments.Count != 1)
            {
                continue;
            }

            var argument = attribute.ConstructorArguments[0].Value;
            if (argument is int single && single > 0)
            {
                return single;
            }

            if (argument is IReadOnlyCollection<CustomAttributeTypedArgument> { Count: 1 } dims && dims.First().Value is int first && first > 0)
            {
                return first;
            }
        }

        return -1;
    }

    private static string ColumnName(MemberInfo member)
    {
        // ML.NET keeps ColumnNameAttribute.Name internal: read the constructor argument instead.
        foreach (var attribute in member.GetCustomAttributesData())
        {
            if (attribute.AttributeType == typeof(ColumnNameAttribute) && attribute.ConstructorArguments.Count == 1 && attribute.ConstructorArguments[0].Value is string name)
            {
                return name;
            }
        }

        return member.Name;
    }
}
