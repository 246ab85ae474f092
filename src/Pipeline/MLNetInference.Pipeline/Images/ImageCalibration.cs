using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Core;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Pipeline.Images;

/// <summary>
/// Calibration samples for static INT8 from images: a folder of JPEG and PNG files, or an <see cref="IDataView"/> column
/// of image paths or encoded image bytes. Each image is decoded and preprocessed as
/// <see cref="ImagePreprocessingOptions"/> states, lazily, one at a time, into one sample of batch 1 for the model's image
/// input. Pass the result to <c>CalibrationData</c>.
/// </summary>
public static class ImageCalibration
{
    /// <summary>The file extensions read from a folder (compared without case).</summary>
    public static IReadOnlyList<string> ImageExtensions { get; } = [".jpg", ".jpeg", ".png"];

    /// <summary>
    /// Reads the JPEG and PNG files of <paramref name="folder"/> (not its subfolders, sorted by name) as calibration
    /// samples for <paramref name="model"/>'s image input.
    /// </summary>
    /// <param name="folder">The folder of images.</param>
    /// <param name="model">The serialized model; its one float input of rank 4 receives the images.</param>
    /// <param name="options">
    /// The model's preprocessing. When <see langword="null"/>: <see cref="ImagePreprocessingOptions.ImageNet"/> with the
    /// crop and layout read from the input's shape (channels at axis 1 or 3).
    /// </param>
    /// <param name="maxImages">The most images read.</param>
    /// <returns>The samples, decoded when enumerated.</returns>
    /// <exception cref="DirectoryNotFoundException"><paramref name="folder"/> does not exist.</exception>
    /// <exception cref="ArgumentException">The folder holds no JPEG or PNG file.</exception>
    /// <exception cref="InvalidInputException">The model has no single float image input, or its shape disagrees with <paramref name="options"/>.</exception>
    /// <exception cref="InvalidImageException">When enumerated: a file cannot be decoded.</exception>
    public static IEnumerable<IReadOnlyDictionary<string, SampleTensor>> FromFolder(string folder, byte[] model, ImagePreprocessingOptions? options = null, int maxImages = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        var files = ImageFiles(folder);
        var (input, resolved) = ResolveInput(model, options);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxImages, 1);
        return Samples(files.Take(maxImages), input, resolved);
    }

    /// <summary>Reads the JPEG and PNG files of <paramref name="folder"/> (sorted by name) as samples for the input <paramref name="inputName"/>.</summary>
    /// <param name="folder">The folder of images.</param>
    /// <param name="inputName">The model input the images feed.</param>
    /// <param name="options">The model's preprocessing; <see cref="ImagePreprocessingOptions.ImageNet"/> when <see langword="null"/>.</param>
    /// <param name="maxImages">The most images read.</param>
    /// <returns>The samples, decoded when enumerated.</returns>
    /// <exception cref="DirectoryNotFoundException"><paramref name="folder"/> does not exist.</exception>
    /// <exception cref="ArgumentException">The folder holds no JPEG or PNG file, or an option is out of range.</exception>
    /// <exception cref="InvalidImageException">When enumerated: a file cannot be decoded.</exception>
    public static IEnumerable<IReadOnlyDictionary<string, SampleTensor>> FromFolder(string folder, string inputName, ImagePreprocessingOptions? options = null, int maxImages = 256)
    {
        ArgumentException.ThrowIfNullOrEmpty(inputName);
        var files = ImageFiles(folder);
        options ??= ImagePreprocessingOptions.ImageNet;
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(maxImages, 1);
        return Samples(files.Take(maxImages), inputName, options);
    }

    /// <summary>
    /// Reads the images of an <see cref="IDataView"/> column as calibration samples for <paramref name="model"/>'s image
    /// input: a text column of file paths, or a column of encoded image bytes (as ML.NET's <c>LoadRawImageBytes</c> gives).
    /// </summary>
    /// <param name="data">The data.</param>
    /// <param name="imageColumn">The column of paths or bytes.</param>
    /// <param name="model">The serialized model; its one float input of rank 4 receives the images.</param>
    /// <param name="options">The model's preprocessing; as in <see cref="FromFolder(string, byte[], ImagePreprocessingOptions?, int)"/> when <see langword="null"/>.</param>
    /// <param name="maxRows">The most rows read.</param>
    /// <returns>The samples, read and decoded when enumerated.</returns>
    /// <exception cref="InvalidInputException">The column is missing or holds neither text nor bytes, or the model has no single float image input.</exception>
    /// <exception cref="InvalidImageException">When enumerated: an image cannot be decoded (the message names its row).</exception>
    public static IEnumerable<IReadOnlyDictionary<string, SampleTensor>> Read(IDataView data, string imageColumn, byte[] model, ImagePreprocessingOptions? options = null, int maxRows = 256)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(imageColumn);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        var column = data.Schema.GetColumnOrNull(imageColumn)
            ?? throw new InvalidInputException(imageColumn, $"Column '{imageColumn}', which holds the calibration images, is not in the data.");
        var isText = column.Type is TextDataViewType;
        var isBytes = column.Type is VectorDataViewType { ItemType.RawType: var t } && t == typeof(byte);
        if (!isText && !isBytes)
        {
            throw new InvalidInputException(imageColumn, $"Column '{imageColumn}' is {column.Type}; calibration images come as a text column of file paths or a vector of encoded image bytes.");
        }

        var (input, resolved) = ResolveInput(model, options);
        return ReadRows(data, column, isText, input, resolved, maxRows);
    }

    /// <summary>
    /// Returns the ImageNet preprocessing fitted to <paramref name="model"/>'s image input: its crop size and layout
    /// (channels at axis 1 or 3), the shorter side resized to crop × 256 / 224. A starting point to change the mean,
    /// deviation, channel order or range from.
    /// </summary>
    /// <param name="model">The serialized model; its one float input of rank 4 receives the images.</param>
    /// <returns>The options.</returns>
    /// <exception cref="InvalidInputException">The model has no single float image input, or its channels are on neither axis 1 nor axis 3.</exception>
    public static ImagePreprocessingOptions DefaultOptionsFor(byte[] model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return ResolveInput(model, null).Options;
    }

    private static IEnumerable<IReadOnlyDictionary<string, SampleTensor>> ReadRows(IDataView data, DataViewSchema.Column column, bool isText, string input, ImagePreprocessingOptions options, int maxRows)
    {
        using var cursor = data.GetRowCursor([column]);
        var text = isText ? cursor.GetGetter<ReadOnlyMemory<char>>(column) : null;
        var bytes = isText ? null : cursor.GetGetter<VBuffer<byte>>(column);
        var path = default(ReadOnlyMemory<char>);
        var buffer = default(VBuffer<byte>);
        for (var row = 0; row < maxRows && cursor.MoveNext(); row++)
        {
            float[] pixels;
            if (text is not null)
            {
                text(ref path);
                var file = path.ToString();
                pixels = File.Exists(file)
                    ? ImagePreprocessor.Preprocess(file, options)
                    : throw new InvalidImageException(file, $"Row {row} of column '{column.Name}' names the image '{file}', which does not exist.");
            }
            else
            {
                bytes!(ref buffer);
                pixels = ImagePreprocessor.Preprocess(buffer.DenseValues().ToArray(), $"row {row} of column '{column.Name}'", options);
            }

            yield return new Dictionary<string, SampleTensor>(StringComparer.Ordinal) { [input] = new SampleTensor(pixels, options.TensorShape) };
        }
    }

    private static IEnumerable<IReadOnlyDictionary<string, SampleTensor>> Samples(IEnumerable<string> files, string input, ImagePreprocessingOptions options)
    {
        foreach (var file in files)
        {
            yield return new Dictionary<string, SampleTensor>(StringComparer.Ordinal) { [input] = new SampleTensor(ImagePreprocessor.Preprocess(file, options), options.TensorShape) };
        }
    }

    private static List<string> ImageFiles(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The calibration image folder '{folder}' does not exist.");
        }

        var files = Directory.EnumerateFiles(folder)
            .Where(f => ImageExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();
        return files.Count > 0
            ? files
            : throw new ArgumentException($"The calibration image folder '{folder}' holds no {string.Join(", ", ImageExtensions)} file.", nameof(folder));
    }

    /// <summary>The model's one float input of rank 4, and preprocessing options whose crop and layout fit its shape.</summary>
    internal static (string Input, ImagePreprocessingOptions Options) ResolveInput(byte[] model, ImagePreprocessingOptions? options)
    {
        var proto = OnnxModelIO.Parse(model);
        var initializers = new HashSet<string>(proto.Graph.Initializer.Select(i => i.Name), StringComparer.Ordinal);
        var images = proto.Graph.Input
            .Where(i => !initializers.Contains(i.Name)
                && i.Type?.TensorType is { } t
                && (TensorProto.Types.DataType)t.ElemType == TensorProto.Types.DataType.Float
                && t.Shape?.Dim.Count == 4)
            .ToList();
        if (images.Count != 1)
        {
            var inputs = string.Join(", ", proto.Graph.Input.Where(i => !initializers.Contains(i.Name)).Select(i => i.Name));
            throw new InvalidInputException(
                images.Count == 0 ? "(none)" : string.Join(", ", images.Select(i => i.Name)),
                $"Image calibration needs exactly one float input of rank 4 ([batch, channels, height, width] or [batch, height, width, channels]); the model's inputs are {inputs}.");
        }

        var input = images[0];
        var dims = input.Type.TensorType.Shape.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1).ToArray();
        if (options is null)
        {
            var layout = dims[1] == 3 ? ImageTensorLayout.Nchw : dims[3] == 3 ? ImageTensorLayout.Nhwc : (ImageTensorLayout?)null;
            if (layout is null)
            {
                throw new InvalidInputException(input.Name, $"Input '{input.Name}' of shape [{string.Join(", ", dims)}] has 3 channels on neither axis 1 nor axis 3; state the preprocessing in ImagePreprocessingOptions.");
            }

            var (height, width) = layout == ImageTensorLayout.Nchw ? (dims[2], dims[3]) : (dims[1], dims[2]);
            var crop = (Width: width > 0 ? (int)width : 224, Height: height > 0 ? (int)height : 224);
            options = new ImagePreprocessingOptions
            {
                Layout = layout.Value,
                CropWidth = crop.Width,
                CropHeight = crop.Height,
                ResizeShorterSide = (int)Math.Round(Math.Max(crop.Width, crop.Height) * 256.0 / 224.0),
            };
        }

        options.Validate();
        var expected = options.TensorShape;
        for (var d = 1; d < 4; d++)
        {
            if (dims[d] > 0 && dims[d] != expected[d])
            {
                throw new InvalidInputException(input.Name, $"Input '{input.Name}' has shape [{string.Join(", ", dims)}], but the preprocessing gives [{string.Join(", ", expected)}] ({options.Layout}, crop {options.CropWidth}×{options.CropHeight}); state the model's preprocessing in ImagePreprocessingOptions.");
            }
        }

        return (input.Name, options);
    }
}
