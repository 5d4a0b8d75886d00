using System.Security.Cryptography;
using System.Text;
using VisionLab.Server.Api;

namespace VisionLab.Server.Security;

/// <summary>
/// The key that endpoints which change something (start or cancel a training job) require in the
/// <c>X-Api-Key</c> header. It is compared in constant time and never written anywhere: not in
/// logs, errors or metrics.
/// </summary>
public sealed class ApiKey(string? key)
{
    public const string Header = "X-Api-Key";

    private readonly byte[]? expected = key is null ? null : Encoding.UTF8.GetBytes(key);

    /// <summary>401 without a key, 403 with a wrong one, or when the server was started without one.</summary>
    public void Check(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(Header, out var given) || string.IsNullOrEmpty(given))
            throw new ApiProblem(StatusCodes.Status401Unauthorized, "API key required", $"this endpoint needs the server's API key in the {Header} header");
        if (expected is null)
            throw new ApiProblem(StatusCodes.Status403Forbidden, "Forbidden", "this server was started without an API key, so it accepts no changes (start it with --api-key-file)");
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given.ToString()), expected))
            throw new ApiProblem(StatusCodes.Status403Forbidden, "Forbidden", $"the {Header} header does not hold this server's API key");
    }

    /// <summary>Requires the key on every endpoint of <paramref name="builder"/>.</summary>
    public static TBuilder Require<TBuilder>(TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            context.HttpContext.RequestServices.GetRequiredService<ApiKey>().Check(context.HttpContext.Request);
            return await next(context);
        });
}
