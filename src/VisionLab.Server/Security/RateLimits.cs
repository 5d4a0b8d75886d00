using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace VisionLab.Server.Security;

/// <summary>
/// Per-client rate limiting of the API: a token bucket per remote address, refilled at the
/// configured rate, so one client cannot starve the others. Over the limit a request is answered
/// 429 with Retry-After and a problem-details body, without touching a model.
/// </summary>
public static class RateLimits
{
    public const string Policy = "per-client";

    public static void Add(IServiceCollection services, ServerOptions options) => services.AddRateLimiter(limiter =>
    {
        limiter.AddPolicy(Policy, context => options.RequestsPerSecond == 0
            ? RateLimitPartition.GetNoLimiter("off")
            : RateLimitPartition.GetTokenBucketLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = options.Burst,
                TokensPerPeriod = options.RequestsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
        limiter.OnRejected = async (rejected, cancellation) =>
        {
            var response = rejected.HttpContext.Response;
            response.Headers.RetryAfter = "1";
            await Results.Problem($"more than {options.RequestsPerSecond} requests per second from this client; slow down",
                statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests").ExecuteAsync(rejected.HttpContext);
        };
    });

    internal static string Describe(ServerOptions options) => options.RequestsPerSecond == 0
        ? "off"
        : string.Create(CultureInfo.InvariantCulture, $"{options.RequestsPerSecond}/s per client, bursts of {options.Burst}");
}
