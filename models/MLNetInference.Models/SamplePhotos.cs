namespace MLNetInference.Models;

/// <summary>
/// Real, freely licensed photographs for image calibration and accuracy checks (see <c>photos/README.md</c> for each
/// one's source and licence): a calibration set and a held-out set that share no photograph.
/// </summary>
/// <remarks>
/// The build copies the photographs to <c>photos/</c> next to the assembly; each is downscaled to a shorter side of 256
/// pixels, JPEG except one grayscale PNG.
/// </remarks>
public static class SamplePhotos
{
    /// <summary>Gets the folder of the 11 calibration photographs.</summary>
    /// <exception cref="DirectoryNotFoundException">The photographs were not copied next to the assembly; rebuild.</exception>
    public static string CalibrationDirectory => Folder("calibration");

    /// <summary>Gets the folder of the 12 held-out photographs, none of which is in <see cref="CalibrationDirectory"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The photographs were not copied next to the assembly; rebuild.</exception>
    public static string HeldOutDirectory => Folder("held-out");

    /// <summary>Gets the calibration photographs' paths, sorted by name.</summary>
    public static IReadOnlyList<string> Calibration => Files(CalibrationDirectory);

    /// <summary>Gets the held-out photographs' paths, sorted by name.</summary>
    public static IReadOnlyList<string> HeldOut => Files(HeldOutDirectory);

    private static string Folder(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "photos", name);
        return Directory.Exists(path)
            ? path
            : throw new DirectoryNotFoundException($"The sample photographs '{path}' are missing; build the project that references MLNetInference.Models again.");
    }

    private static string[] Files(string folder)
    {
        var files = Directory.GetFiles(folder).Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".png", StringComparison.OrdinalIgnoreCase)).ToArray();
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }
}
