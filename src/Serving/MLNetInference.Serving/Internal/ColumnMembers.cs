using System.Reflection;
using Microsoft.ML.Data;

namespace MLNetInference.Serving.Internal;

/// <summary>Finds the public member of a request or prediction type that ML.NET maps to a column, as its schema definition does.</summary>
internal static class ColumnMembers
{
    /// <summary>Returns the property or field that maps to <paramref name="column"/>, or <see langword="null"/>.</summary>
    public static MemberInfo? Find(Type type, string column)
    {
        foreach (var member in All(type))
        {
            if (string.Equals(ColumnName(member), column, StringComparison.Ordinal))
            {
                return member;
            }
        }

        return null;
    }

    /// <summary>Lists the public instance properties and fields that map to columns (those without <see cref="NoColumnAttribute"/>).</summary>
    public static IEnumerable<MemberInfo> All(Type type)
    {
        foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.Instance))
        {
            if (member is PropertyInfo { CanRead: true } or FieldInfo && member.GetCustomAttribute<NoColumnAttribute>() is null
                && (member is not PropertyInfo p || p.GetIndexParameters().Length == 0))
            {
                yield return member;
            }
        }
    }

    /// <summary>The column a member maps to: its <see cref="ColumnNameAttribute"/> name, or its own name.</summary>
    public static string ColumnName(MemberInfo member)
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

    public static Type MemberType(MemberInfo member) => member is PropertyInfo p ? p.PropertyType : ((FieldInfo)member).FieldType;

    /// <summary>A fast getter of a reference-typed member.</summary>
    public static Func<TObject, TValue?> Getter<TObject, TValue>(MemberInfo member)
        where TValue : class
        => member is PropertyInfo property
            ? property.GetMethod!.CreateDelegate<Func<TObject, TValue?>>()
            : data => (TValue?)((FieldInfo)member).GetValue(data);

    /// <summary>A fast setter of a member, or <see langword="null"/> when it cannot be written.</summary>
    public static Action<TObject, TValue>? Setter<TObject, TValue>(MemberInfo member)
        => member switch
        {
            PropertyInfo { SetMethod.IsPublic: true } property => property.SetMethod!.CreateDelegate<Action<TObject, TValue>>(),
            FieldInfo { IsInitOnly: false } field => (prediction, value) => field.SetValue(prediction, value),
            _ => null,
        };
}
