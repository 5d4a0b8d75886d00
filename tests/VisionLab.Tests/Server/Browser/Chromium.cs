using Microsoft.Playwright;

namespace VisionLab.Tests.Server.Browser;

/// <summary>
/// Debian's chromium driven by Playwright, shared by a test class. Playwright's driver (node and its
/// JavaScript) comes inside the NuGet package and is copied beside the tests; the browser is the
/// system's, so nothing is downloaded (<c>playwright install</c> is never needed).
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public const string Executable = "/usr/bin/chromium";

    private IPlaywright? playwright;
    private IBrowser? browser;

    /// <summary>Where the tests leave their screenshots.</summary>
    public static string Screenshots { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>A fresh page (its own context: no shared storage) of the given viewport size.</summary>
    public async Task<IPage> NewPage(int width = 1280, int height = 900)
    {
        // A missing browser is a failure with the fix in it, not a skipped test.
        Assert.True(File.Exists(Executable),
            $"the browser tests need Debian's chromium at {Executable}: apt-get install chromium (scripts/setup.sh --reference installs it)");
        playwright ??= await Playwright.CreateAsync();
        browser ??= await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Executable, Headless = true });
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height } });
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (browser is not null) await browser.DisposeAsync();
        playwright?.Dispose();
    }
}
