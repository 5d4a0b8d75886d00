namespace VisionLab.Server.Api;

/// <summary>
/// A request the service refuses, with the HTTP status that says why; turned into an RFC 7807
/// problem-details body by <see cref="ProblemMapping"/>.
/// </summary>
public sealed class ApiProblem(int status, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;

    public static ApiProblem BadRequest(string detail) => new(StatusCodes.Status400BadRequest, "Bad request", detail);
    public static ApiProblem NotFound(string detail) => new(StatusCodes.Status404NotFound, "Not found", detail);
    public static ApiProblem UnsupportedMediaType(string detail) => new(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", detail);
}
