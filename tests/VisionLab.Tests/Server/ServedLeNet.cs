using System.Net.Http.Headers;
using VisionLab.Server;
using VisionLab.Tests.Explain;
using VisionLab.Tests.Support;

namespace VisionLab.Tests.Server;

/// <summary>
/// A <c>visionlab serve</c> in the test process, on a free port, serving the LeNet-5 of a
/// <see cref="TinyLeNetRun"/> under the name "run", with a Fashion-MNIST trouser as a PNG to send.
/// </summary>
public sealed class ServedLeNet : IAsyncLifetime
{
    /// <summary>The test classes that share one server (and so one training run).</summary>
    public const string Collection = "served LeNet-5";

    public const string Model = "run";
    public const string Key = "test-api-key-0123456789";

    public TinyLeNetRun Run { get; } = new();
    public VisionLabServer Server { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public string Trouser { get; private set; } = "";
    public string Store => Run.Folder.File("store.sqlite");

    public async Task InitializeAsync()
    {
        Trouser = Run.Folder.File("trouser.png");
        ExplainImages.WriteFashionMnistPng(Trouser, 2);
        Server = await Start(Options());
        Client = new HttpClient { BaseAddress = new Uri(Server.Address) };
    }

    /// <summary>The options the shared server runs with: no rate limit, batches gathered for up to 20 ms.</summary>
    public ServerOptions Options() => new()
    {
        Models = Run.Root,
        Port = 0,
        RequestsPerSecond = 0,
        MaxWait = TimeSpan.FromMilliseconds(20),
        ApiKey = Key,
        Store = Store,
        RunsFolder = Run.Folder.File("job-runs"),
        TrainCommand = ["dotnet", Path.Combine(AppContext.BaseDirectory, "VisionLab.Cli.dll")],
    };

    public static Task<VisionLabServer> Start(ServerOptions options) => VisionLabServer.Start(options);

    /// <summary>A multipart form with <paramref name="bytes"/> in the field <c>file</c>.</summary>
    public static MultipartFormDataContent Form(byte[] bytes, string name = "image.png")
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return new MultipartFormDataContent { { file, "file", name } };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        Run.Dispose();
    }
}

[CollectionDefinition(ServedLeNet.Collection)]
public sealed class ServedLeNetCollection : ICollectionFixture<ServedLeNet>;
