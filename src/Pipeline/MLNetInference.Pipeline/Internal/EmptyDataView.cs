using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetInference.Pipeline.Internal;

/// <summary>A view with a schema and no rows, to fit stock ML.NET transformers that only read the schema.</summary>
internal sealed class EmptyDataView : IDataView
{
    public EmptyDataView(DataViewSchema schema)
    {
        Schema = schema;
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => 0;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(Schema);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(Schema)];

    private sealed class Cursor : DataViewRowCursor
    {
        public Cursor(DataViewSchema schema)
        {
            Schema = schema;
        }

        public override DataViewSchema Schema { get; }

        public override long Position => -1;

        public override long Batch => 0;

        public override bool MoveNext() => false;

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => throw new InvalidOperationException("An empty view has no rows.");

        public override bool IsColumnActive(DataViewSchema.Column column) => false;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => throw new InvalidOperationException("An empty view has no rows.");
    }
}
