using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace MLNetInference.Samples.Notebook;

/// <summary>
/// Loads the notebook's assemblies, once each, into the default load context of the notebook's kernel, and lets the
/// native libraries they need (ONNX Runtime, SkiaSharp, ...) be found in the folder's <c>runtimes/&lt;rid&gt;/native</c>.
/// </summary>
/// <remarks>
/// The C# kernel loads each <c>#r</c> assembly and each dependency it finds next to it into a load context of its own,
/// and may load the same dependency twice. Two copies of ONNX Runtime's managed assembly make calls between our
/// assemblies fail with <see cref="MissingMethodException"/>. Loading every assembly of the folder into the default
/// context first, before any <c>#r</c> of them, gives one copy of each, which the kernel then reuses.
/// </remarks>
public static class NotebookAssemblies
{
    private static readonly Lock Gate = new();
    private static readonly List<string> Folders = [];

    /// <summary>Loads every assembly in <paramref name="folder"/> into the default load context and resolves further ones and native libraries from it.</summary>
    /// <param name="folder">The folder that holds the assemblies (NotebookSupport's output folder).</param>
    /// <returns>The names of the assemblies loaded now; those already loaded (by the kernel itself) are kept and not listed.</returns>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is empty.</exception>
    /// <exception cref="DirectoryNotFoundException"><paramref name="folder"/> does not exist; build NotebookSupport first.</exception>
    public static IReadOnlyList<string> Load(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var full = Path.GetFullPath(folder);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException(
                $"The notebook's assembly folder '{full}' does not exist. Build it first: dotnet build src/Samples/Notebook/NotebookSupport -c Release");
        }

        lock (Gate)
        {
            if (Folders.Count == 0)
            {
                AssemblyLoadContext.Default.Resolving += ResolveManaged;
                AssemblyLoadContext.Default.ResolvingUnmanagedDll += ResolveNative;
            }

            if (!Folders.Contains(full, StringComparer.Ordinal))
            {
                Folders.Add(full);
            }
        }

        var loadedNames = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var loaded = new List<string>();
        foreach (var file in Directory.GetFiles(full, "*.dll").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (loadedNames.Contains(name))
            {
                continue;
            }

            try
            {
                AssemblyLoadContext.Default.LoadFromAssemblyPath(file);
                loaded.Add(name);
            }
            catch (BadImageFormatException)
            {
                // Not a managed assembly.
            }
            catch (FileLoadException)
            {
                // A copy with the same name is already loaded; that one is used.
            }
        }

        return loaded;
    }

    private static Assembly? ResolveManaged(AssemblyLoadContext context, AssemblyName name)
    {
        foreach (var folder in Snapshot())
        {
            var file = Path.Combine(folder, name.Name + ".dll");
            if (File.Exists(file))
            {
                return context.LoadFromAssemblyPath(file);
            }
        }

        return null;
    }

    private static IntPtr ResolveNative(Assembly assembly, string name)
    {
        var fileNames = NativeFileNames(name);
        foreach (var folder in Snapshot())
        {
            foreach (var directory in new[] { Path.Combine(folder, "runtimes", RuntimeId(), "native"), folder })
            {
                foreach (var fileName in fileNames)
                {
                    var path = Path.Combine(directory, fileName);
                    if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle))
                    {
                        return handle;
                    }
                }
            }
        }

        return IntPtr.Zero;
    }

    private static string[] Snapshot()
    {
        lock (Gate)
        {
            return [.. Folders];
        }
    }

    // "onnxruntime" → libonnxruntime.so on Linux, onnxruntime.dll on Windows, libonnxruntime.dylib on macOS.
    private static string[] NativeFileNames(string name)
    {
        if (Path.HasExtension(name))
        {
            return [name];
        }

        if (OperatingSystem.IsWindows())
        {
            return [name + ".dll"];
        }

        var extension = OperatingSystem.IsMacOS() ? ".dylib" : ".so";
        return name.StartsWith("lib", StringComparison.Ordinal) ? [name + extension] : ["lib" + name + extension, name + extension];
    }

    private static string RuntimeId()
    {
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        var architecture = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        return $"{os}-{architecture}";
    }
}
