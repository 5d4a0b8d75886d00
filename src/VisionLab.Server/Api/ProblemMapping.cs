using Microsoft.Extensions.Logging;
using VisionLab.Server.Inference;

namespace VisionLab.Server.Api;

/// <summary>
/// Every failure becomes an RFC 7807 problem-details response with the status that says whose
/// fault it is: the client's (4xx, with a detail that names the problem) or the service's (5xx,
/// with no internals). Nothing a request does reaches the client as a stack trace or a dropped
/// connection, and the service goes on serving.
/// </summary>
public static class ProblemMapping
{
    public static IApplicationBuilder UseProblemMapping(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && !(e is OperationCanceledException && context.RequestAborted.IsCancellationRequested))
        {
            var (status, title, detail) = Classify(e);
            if (status >= 500)
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("VisionLab.Server")
                    .LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            context.Response.Clear();
            await Results.Problem(detail, statusCode: status, title: title).ExecuteAsync(context);
        }
    });

    public static (int Status, string Title, string? Detail) Classify(Exception e) => e switch
    {
        ApiProblem p => (p.Status, p.Title, p.Message),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            (StatusCodes.Status413PayloadTooLarge, "Payload too large", "the request body is larger than this server accepts"),
        BadHttpRequestException b => (b.StatusCode, "Bad request", b.Message),
        ImageTooLargeException t => (StatusCodes.Status413PayloadTooLarge, "Image too large", t.Message),
        DataFormatException d => (StatusCodes.Status422UnprocessableEntity, "Unreadable image", d.Message),
        QueueFullException q => (StatusCodes.Status503ServiceUnavailable, "Overloaded", q.Message),
        VisionLabException v => (StatusCodes.Status400BadRequest, "Bad request", v.Message),
        _ => (StatusCodes.Status500InternalServerError, "Internal error", "the server failed to handle the request; its log has the details"),
    };
}
