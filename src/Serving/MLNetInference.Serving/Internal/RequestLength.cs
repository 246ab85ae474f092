using System.Reflection;

namespace MLNetInference.Serving.Internal;

/// <summary>The default length of a request for length grouping: the total length of its string and array members.</summary>
internal static class RequestLength
{
    public static Func<TData, int> Default<TData>()
    {
        var members = new List<Func<object, int>>();
        foreach (var property in typeof(TData).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || !property.CanRead)
            {
                continue;
            }

            if (property.PropertyType == typeof(string))
            {
                members.Add(o => ((string?)property.GetValue(o))?.Length ?? 0);
            }
            else if (property.PropertyType.IsArray)
            {
                members.Add(o => ((Array?)property.GetValue(o))?.Length ?? 0);
            }
        }

        foreach (var field in typeof(TData).GetFields(BindingFlags.Public | BindingFlags.Instance))
        {
            if (field.FieldType == typeof(string))
            {
                members.Add(o => ((string?)field.GetValue(o))?.Length ?? 0);
            }
            else if (field.FieldType.IsArray)
            {
                members.Add(o => ((Array?)field.GetValue(o))?.Length ?? 0);
            }
        }

        var accessors = members.ToArray();
        return data =>
        {
            if (data is null)
            {
                return 0;
            }

            var total = 0;
            foreach (var accessor in accessors)
            {
                total += accessor(data);
            }

            return total;
        };
    }
}
