using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Models;

namespace VisionLab.Cli.Commands;

public sealed class ModelsSettings : CommonSettings;

public sealed class ModelsCommand : Command<ModelsSettings>
{
    public override int Execute(CommandContext context, ModelsSettings s, CancellationToken cancellation)
    {
        var rows = ModelZoo.All.Select(m => new
        {
            name = m.Name, family = m.Family, parameters = m.ReferenceParameters, macs = m.ReferenceMacs, classes = m.ReferenceClasses,
            input = m.DefaultInput.ToString(), paper = m.Paper,
        }).ToList();
        if (s.Json)
        {
            JsonOutput.Write(rows);
            return 0;
        }
        // The papers are in --json; a table row stays one line.
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Model zoo[/]");
        table.AddColumn("name");
        table.AddColumn("family");
        table.AddColumn(new TableColumn("parameters").RightAligned());
        table.AddColumn(new TableColumn("GMACs").RightAligned());
        table.AddColumn(new TableColumn("classes").RightAligned());
        table.AddColumn("input");
        foreach (var r in rows) table.AddRow(r.name, r.family, $"{r.parameters:N0}", $"{r.macs / 1e9:F3}", $"{r.classes}", r.input);
        AnsiConsole.Write(table);
        return 0;
    }
}
