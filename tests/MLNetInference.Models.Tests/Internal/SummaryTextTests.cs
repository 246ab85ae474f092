using MLNetInference.Models.Internal;

namespace MLNetInference.Models.Tests.Internal;

[TestClass]
public sealed class SummaryTextTests
{
    [TestMethod]
    [DataRow("T:Microsoft.ML.IDataView", "IDataView")]
    [DataRow("M:Microsoft.ML.DataOperationsCatalog.LoadFromEnumerable``1(System.Collections.Generic.IEnumerable{``0})", "LoadFromEnumerable")]
    [DataRow("T:Microsoft.ML.Data.VBuffer`1", "VBuffer")]
    [DataRow("P:Microsoft.ML.Data.DataViewSchema.Column.Name", "Name")]
    [DataRow("M:Microsoft.ML.MLContext.#ctor(System.Nullable{System.Int32})", "constructor")]
    [DataRow("IDataView", "IDataView")]
    public void CrefName_DocCommentId_IsLastIdentifierSegment(string cref, string expected)
    {
        Assert.AreEqual(expected, SummaryText.CrefName(cref));
    }

    [TestMethod]
    public void ReadSummaries_TagsEntitiesAndWhitespace_GivesPlainText()
    {
        var path = Path.Combine(Path.GetTempPath(), $"summary-{Guid.NewGuid():N}.xml");
        File.WriteAllText(path, """
            <doc><members>
              <member name="T:A"><summary>
                Reads an <see cref="T:Microsoft.ML.IDataView"/> when x &amp; y is <see langword="null"/>,
                using <paramref name="count"/> rows.
                <para>Second   part.</para>
              </summary></member>
              <member name="T:B"><summary>   </summary></member>
            </members></doc>
            """);
        try
        {
            var summaries = SummaryText.ReadSummaries(path).ToArray();

            Assert.HasCount(1, summaries);
            Assert.AreEqual("Reads an IDataView when x & y is null, using count rows. Second part.", summaries[0]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
