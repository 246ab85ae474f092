using System.Reflection;
using Microsoft.ML;

namespace MLNetInference.Pipeline.Internal;

/// <summary>
/// Describes columns as <see cref="SchemaShape.Column"/>s. ML.NET keeps both <c>SchemaShape.Create</c> and the
/// column constructor internal, so an estimator outside ML.NET reaches the former by reflection, once.
/// </summary>
internal static class SchemaShapes
{
    private static readonly Func<DataViewSchema, SchemaShape> CreateShape = Bind();

    /// <summary>The shape of a schema's columns.</summary>
    public static SchemaShape FromSchema(DataViewSchema schema) => CreateShape(schema);

    private static Func<DataViewSchema, SchemaShape> Bind()
    {
        var method = typeof(SchemaShape).GetMethod("Create", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public, [typeof(DataViewSchema)])
            ?? throw new MissingMethodException("SchemaShape.Create(DataViewSchema) was not found in this ML.NET version.");
        return method.CreateDelegate<Func<DataViewSchema, SchemaShape>>();
    }
}
