namespace MLNetInference.Models.Tests;

[TestClass]
public sealed class SamplePhotosTests
{
    [TestMethod]
    public void Sets_AreCopiedNextToTheBinaryAndShareNoPhotograph()
    {
        Assert.HasCount(11, SamplePhotos.Calibration);
        Assert.HasCount(12, SamplePhotos.HeldOut);
        var calibration = SamplePhotos.Calibration.Select(Path.GetFileName).ToHashSet();
        Assert.IsFalse(SamplePhotos.HeldOut.Any(p => calibration.Contains(Path.GetFileName(p))));
        var contents = SamplePhotos.Calibration.Concat(SamplePhotos.HeldOut).Select(p => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(p)))).ToList();
        Assert.HasCount(23, contents.Distinct().ToList(), "no file is a copy of another");
    }

    [TestMethod]
    public void EveryPhotograph_HasItsLicenceInTheReadme()
    {
        var readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "photos", "README.md"));

        foreach (var photo in SamplePhotos.Calibration.Concat(SamplePhotos.HeldOut))
        {
            var relative = $"{Path.GetFileName(Path.GetDirectoryName(photo))}/{Path.GetFileName(photo)}";
            StringAssert.Contains(readme, $"| {relative} |", $"photos/README.md must give the source and licence of {relative}");
        }
    }
}
