using System.Text.RegularExpressions;
using Microsoft.Playwright;
using VisionLab.Data;
using static Microsoft.Playwright.Assertions;

namespace VisionLab.Tests.Server.Browser;

/// <summary>
/// The page <c>visionlab serve</c> serves, used the way a person uses it in a browser: an image in,
/// the top five and a heat map out; a training job started from the runs page with its curves
/// growing live; and a phone-sized screen that never scrolls sideways.
/// </summary>
[Collection(ServedLeNet.Collection)]
public sealed partial class ServePageTests(ServedLeNet served, Chromium chromium) : IClassFixture<Chromium>
{
    private static readonly string[] Finished = ["completed", "failed", "cancelled"];

    [Fact]
    public async Task A_chosen_image_shows_five_class_bars_and_a_heat_map_beside_it_that_follows_the_method()
    {
        // The size of docs/serve-page.png, the README's picture of the page.
        var page = await chromium.NewPage(1200, 720);
        await page.GotoAsync(served.Server.Address);
        await Expect(page).ToHaveTitleAsync("VisionLab");
        await Expect(page.GetByTestId("model")).ToHaveValueAsync(ServedLeNet.Model);

        await ChooseImage(page, served.Trouser);

        var bars = page.GetByTestId("prediction");
        await Expect(bars).ToHaveCountAsync(5);
        var percents = new List<double>();
        foreach (string text in await bars.AllInnerTextsAsync())
        {
            var match = PredictionText().Match(text);
            Assert.True(match.Success, $"a prediction bar reads '{text}', not 'class percent%'");
            Assert.Contains(match.Groups["class"].Value, ImageClassificationData.FashionMnistClasses);
            percents.Add(double.Parse(match.Groups["percent"].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        Assert.Equal(percents.OrderByDescending(p => p), percents);

        var image = page.GetByTestId("input-image");
        var overlay = page.GetByTestId("overlay");
        await Expect(overlay).ToHaveAttributeAsync("data-method", "gradcam");
        Assert.True(await Loaded(overlay), "the Grad-CAM overlay did not load");
        var (imageBox, overlayBox) = (await image.BoundingBoxAsync(), await overlay.BoundingBoxAsync());
        Assert.True(overlayBox!.X >= imageBox!.X + imageBox.Width && Math.Abs(overlayBox.Y - imageBox.Y) < 2,
            $"the overlay ({overlayBox.X}, {overlayBox.Y}) is not beside the image ({imageBox.X}, {imageBox.Y}, {imageBox.Width} wide)");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Chromium.Screenshots, "predict-gradcam.png"), FullPage = true });

        string? gradcam = await overlay.GetAttributeAsync("src");
        await page.GetByTestId("method").SelectOptionAsync("layercam");
        await Expect(overlay).ToHaveAttributeAsync("data-method", "layercam");
        Assert.True(await Loaded(overlay), "the LayerCAM overlay did not load");
        Assert.NotEqual(gradcam, await overlay.GetAttributeAsync("src"));
        await Expect(page.GetByTestId("overlay-title")).ToContainTextAsync("LayerCAM", new() { IgnoreCase = true });
        await Expect(page.GetByTestId("error")).ToBeHiddenAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(Chromium.Screenshots, "predict-layercam.png"), FullPage = true });

        var predictions = page.GetByTestId("predictions");
        await Expect(predictions).ToHaveAttributeAsync("data-tta", "none");
        await page.GetByTestId("tta").SelectOptionAsync("hflip");
        await Expect(predictions).ToHaveAttributeAsync("data-tta", "hflip");
        await Expect(page.GetByTestId("timing")).ToContainTextAsync("averaged with the mirror");
        await Expect(bars).ToHaveCountAsync(5);
    }

    [Fact]
    public async Task A_job_started_from_the_runs_page_draws_its_curve_while_it_trains_and_completes()
    {
        var page = await chromium.NewPage(1280, 1000);
        await page.GotoAsync(served.Server.Address + "/runs.html");
        await page.GetByLabel("Model").FillAsync("lenet5");
        await page.GetByLabel("Epochs").FillAsync("2");
        // Progress comes every 50 batches: batches of 10 give four points an epoch to watch arrive.
        await page.GetByLabel("Batch size").FillAsync("10");
        await page.GetByLabel("Training images").FillAsync("2000");
        await page.GetByLabel("Test images").FillAsync("500");
        await page.GetByLabel("API key").FillAsync(ServedLeNet.Key);
        await page.GetByTestId("train-start").ClickAsync();

        var curve = page.Locator("[data-testid=live-loss] svg");
        var whileRunning = new List<int>();
        string status = "";
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (DateTime.UtcNow < deadline)
        {
            if (await page.GetByTestId("train-error").IsVisibleAsync())
                Assert.Fail($"the page shows an error: {await page.GetByTestId("train-error").InnerTextAsync()}");
            status = await page.GetByTestId("job-status").InnerTextAsync();
            if (Finished.Contains(status)) break;
            int points = int.Parse(await curve.GetAttributeAsync("data-points") ?? "0");
            if (status == "running" && (whileRunning.Count == 0 || points != whileRunning[^1]))
            {
                whileRunning.Add(points);
                if (whileRunning.Count == 3)
                    await page.ScreenshotAsync(new() { Path = Path.Combine(Chromium.Screenshots, "runs-training.png"), FullPage = true });
            }
            await page.WaitForTimeoutAsync(100);
        }

        Assert.Equal("completed", status);
        Assert.True(whileRunning.Count(p => p > 0) >= 2 && whileRunning[^1] > whileRunning.First(p => p > 0),
            $"the curve did not gain points while the job ran: {string.Join(" → ", whileRunning)} points");
        int final = int.Parse(await curve.GetAttributeAsync("data-points") ?? "0");
        Assert.True(final >= 2 * 2 + 2, $"{final} points after two epochs: each brings a train and a test loss, plus the running loss");
        // The finished run joins the table, ticked, and its curves the comparison.
        await Expect(page.Locator("[data-testid=runs-table] tbody input:checked")).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-testid=compare-loss] svg")).ToHaveAttributeAsync("data-points", "4");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Chromium.Screenshots, "runs-completed.png"), FullPage = true });

        // The run is served as soon as it finishes: the link opens the predict page with it chosen.
        var tryIt = page.GetByTestId("job-try");
        await Expect(tryIt).ToBeVisibleAsync();
        await tryIt.ClickAsync();
        // Polls the address (no load-state wait, which can miss a navigation that already finished).
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"/index\.html\?model=[^&]+$"));
        string model = Uri.UnescapeDataString(page.Url[(page.Url.IndexOf("model=", StringComparison.Ordinal) + "model=".Length)..]);
        Assert.EndsWith("lenet5-job-", model[..^6]);
        await Expect(page.GetByTestId("model")).ToHaveValueAsync(model);
    }

    [Fact]
    public async Task A_file_that_is_no_image_gets_the_servers_reason_and_no_answer_from_the_image_before()
    {
        var page = await chromium.NewPage(1200, 720);
        await page.GotoAsync(served.Server.Address);
        await Expect(page.GetByTestId("model")).ToHaveValueAsync(ServedLeNet.Model);
        await ChooseImage(page, served.Trouser);
        await Expect(page.GetByTestId("prediction")).ToHaveCountAsync(5);

        string notAnImage = served.Run.Folder.File("notes.png");
        await File.WriteAllTextAsync(notAnImage, "these are notes, whatever the name says");
        await ChooseImage(page, notAnImage);

        await Expect(page.GetByTestId("error")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("error")).ToContainTextAsync("notes.png is not an image");
        await Expect(page.GetByTestId("results")).ToBeHiddenAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(Chromium.Screenshots, "predict-not-an-image.png"), FullPage = true });

        // A good image afterwards clears the error and answers again.
        await ChooseImage(page, served.Trouser);
        await Expect(page.GetByTestId("error")).ToBeHiddenAsync();
        await Expect(page.GetByTestId("results")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("prediction")).ToHaveCountAsync(5);
    }

    [Fact]
    public async Task On_a_phone_neither_page_scrolls_sideways()
    {
        var page = await chromium.NewPage(390, 844);
        await page.GotoAsync(served.Server.Address);
        await ChooseImage(page, served.Trouser);
        await Expect(page.GetByTestId("prediction")).ToHaveCountAsync(5);
        await AssertNoSidewaysScroll(page, "phone-predict.png");

        await page.GotoAsync(served.Server.Address + "/runs.html");
        await Expect(page.Locator("[data-testid=live-loss] svg")).ToHaveAttributeAsync("data-points", "0");
        await AssertNoSidewaysScroll(page, "phone-runs.png");
    }

    private static async Task ChooseImage(IPage page, string path)
    {
        var chooser = await page.RunAndWaitForFileChooserAsync(() => page.GetByTestId("dropzone").ClickAsync());
        await chooser.SetFilesAsync(path);
    }

    private static Task<bool> Loaded(ILocator image) =>
        image.EvaluateAsync<bool>("img => img.complete && img.naturalWidth > 0");

    private static async Task AssertNoSidewaysScroll(IPage page, string screenshot)
    {
        await page.ScreenshotAsync(new() { Path = Path.Combine(Chromium.Screenshots, screenshot), FullPage = true });
        var (content, viewport) = (await page.EvaluateAsync<int>("document.documentElement.scrollWidth"), await page.EvaluateAsync<int>("innerWidth"));
        Assert.True(content <= viewport, $"{page.Url} is {content} px wide in a {viewport} px viewport: it scrolls sideways");
    }

    [GeneratedRegex(@"^(?<class>.+?)\s+(?<percent>\d+(\.\d)?)%$")]
    private static partial Regex PredictionText();
}
