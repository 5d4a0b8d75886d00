using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Commands;
using VisionLab.Tests.Support;

namespace VisionLab.Tests.Tracking.Store;

/// <summary>
/// The <c>runs</c> verbs run in this process, registered exactly as Program.cs registers them
/// (<see cref="RunsCommands.Configure"/>), with stdout captured and a <see cref="VisionLabException"/>
/// turned into exit code 1 and an <c>error:</c> line as Program.cs does. Tests run one at a time
/// (AssemblyInfo), so swapping the process's console is safe.
/// </summary>
internal static class RunsCli
{
    public static CliResult Run(params string[] args)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("visionlab");
            config.PropagateExceptions();
            config.AddBranch("runs", RunsCommands.Configure);
        });
        var output = new StringWriter();
        var console = Console.Out;
        var ansi = AnsiConsole.Console;
        Console.SetOut(output);
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        // Wide enough that no table wraps a cell the tests look for.
        AnsiConsole.Console.Profile.Width = 240;
        try
        {
            int code = app.Run(args);
            return new CliResult(code, output.ToString(), "");
        }
        catch (VisionLabException e)
        {
            return new CliResult(1, output.ToString(), $"error: {e.Message}");
        }
        finally
        {
            Console.SetOut(console);
            AnsiConsole.Console = ansi;
        }
    }
}
