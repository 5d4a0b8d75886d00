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
        var rows = ModelZoo.All.Select(m =>
        {
            using var model = m.Build(new ModelOptions(InChannels: m.DefaultInput.Channels, NumClasses: 10));
            return new { name = m.Name, family = m.Family, parameters = model.ParameterCount(), input = m.DefaultInput.ToString(), paper = m.Paper };
        }).ToList();
        if (s.Json)
        {
            JsonOutput.Write(rows);
            return 0;
        }
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Model zoo[/] (parameters with a 10-class head)");
        table.AddColumn("name");
        table.AddColumn("family");
        table.AddColumn(new TableColumn("parameters").RightAligned());
        table.AddColumn("input");
        table.AddColumn("paper");
        foreach (var r in rows) table.AddRow(r.name, r.family, $"{r.parameters:N0}", r.input, Markup.Escape(r.paper));
        AnsiConsole.Write(table);
        return 0;
    }
}
