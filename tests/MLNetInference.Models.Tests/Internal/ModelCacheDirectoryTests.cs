using MLNetInference.Models.Internal;

namespace MLNetInference.Models.Tests.Internal;

[TestClass]
public sealed class ModelCacheDirectoryTests
{
    private string _root = null!;

    [TestInitialize]
    public void CreateFolders()
    {
        _root = Directory.CreateTempSubdirectory("model-cache-dir-").FullName;
        Directory.CreateDirectory(Path.Combine(_root, "repo", "src", "notebook"));
        Directory.CreateDirectory(Path.Combine(_root, "tool", "bin"));
        File.WriteAllText(Path.Combine(_root, "repo", "MLNetInference.sln"), string.Empty);
    }

    [TestCleanup]
    public void DeleteFolders() => Directory.Delete(_root, recursive: true);

    [TestMethod]
    public void FindDirectory_VariableSet_UsesIt()
    {
        var chosen = ModelCache.FindDirectory(Path.Combine(_root, "elsewhere"), Path.Combine(_root, "repo", "src"), _root);

        Assert.AreEqual(Path.Combine(_root, "elsewhere"), chosen);
    }

    [TestMethod]
    public void FindDirectory_ApplicationInsideTheRepository_UsesItsModelsCache()
    {
        var chosen = ModelCache.FindDirectory(null, Path.Combine(_root, "repo", "src", "notebook"), Path.Combine(_root, "tool"));

        Assert.AreEqual(Path.Combine(_root, "repo", "models", "cache"), chosen);
    }

    [TestMethod]
    public void FindDirectory_ToolOutsideButRunFromTheRepository_UsesTheRepositoryCache()
    {
        // A notebook kernel's application folder is the tool's; its current folder is the notebook's, in the repository.
        var chosen = ModelCache.FindDirectory(" ", Path.Combine(_root, "tool", "bin"), Path.Combine(_root, "repo", "src", "notebook"));

        Assert.AreEqual(Path.Combine(_root, "repo", "models", "cache"), chosen);
    }

    [TestMethod]
    public void FindDirectory_NoRepository_UsesModelsCacheNextToTheApplication()
    {
        var chosen = ModelCache.FindDirectory(null, Path.Combine(_root, "tool", "bin"), Path.Combine(_root, "tool"));

        Assert.AreEqual(Path.Combine(_root, "tool", "bin", "models-cache"), chosen);
    }
}
