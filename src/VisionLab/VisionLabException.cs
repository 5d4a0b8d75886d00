namespace VisionLab;

/// <summary>
/// A problem the user can fix: bad input, a missing file, an unknown name. The message names the
/// thing and what is wrong with it, in one line, so a command line can print it without a trace.
/// </summary>
public class VisionLabException : Exception
{
    public VisionLabException(string message) : base(message) { }
    public VisionLabException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A data file that is missing, truncated or not in the format it claims.</summary>
public class DataFormatException(string path, string problem, Exception? inner = null)
    : VisionLabException($"{path}: {problem}", inner!)
{
    public string Path { get; } = path;

    /// <summary>What is wrong, without the path.</summary>
    public string Problem { get; } = problem;
}

/// <summary>An image whose header declares more pixels than the decoder's limit: refused before any
/// pixel memory is allocated, as a possible decompression bomb.</summary>
public sealed class ImageTooLargeException(string path, int width, int height, long limit)
    : DataFormatException(path, $"declares {width}x{height} = {(long)width * height:N0} pixels, more than the limit of {limit:N0} " +
        "(refused before decoding, as a possible decompression bomb; raise the decoder's pixel limit if the image is genuine)")
{
    public int Width { get; } = width;
    public int Height { get; } = height;
}

/// <summary>A checkpoint that is missing, corrupt or belongs to something else.</summary>
public sealed class CheckpointException(string path, string problem, Exception? inner = null)
    : VisionLabException($"checkpoint {path}: {problem}", inner!)
{
    public string Path { get; } = path;
}
