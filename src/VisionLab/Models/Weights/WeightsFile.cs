using System.Collections;
using TorchSharp.PyBridge;
using VisionLab.Runs;
using static TorchSharp.torch;

namespace VisionLab.Models.Weights;

/// <summary>
/// PyTorch state dicts on disk: <c>torch.save</c> zip files (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>)
/// and <c>.safetensors</c>, read and written through TorchSharp.PyBridge. Loading into a model
/// is strict and all-or-nothing (<see cref="StateDict.LoadStrict"/>).
/// </summary>
public static class WeightsFile
{
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path))
            throw new VisionLabException($"weights {path}: file not found");
        try
        {
            if (IsSafetensors(path))
                return Safetensors.LoadStateDict(path);
            var table = PyTorchUnpickler.UnpickleStateDict(path);
            var weights = new Dictionary<string, Tensor>();
            foreach (DictionaryEntry entry in table)
            {
                if (entry.Key is string name && entry.Value is Tensor tensor)
                    weights[name] = tensor;
                else
                    throw new InvalidDataException($"entry {entry.Key} is a {entry.Value?.GetType().Name ?? "null"}, not a tensor");
            }
            return weights;
        }
        catch (Exception e) when (e is not VisionLabException)
        {
            throw new VisionLabException(
                $"weights {path}: not a readable PyTorch state dict or safetensors file ({e.Message.Split('\n')[0].TrimEnd('.')})", e);
        }
    }

    /// <summary>Reads <paramref name="path"/> and loads it into <paramref name="model"/>; refuses any mismatch.</summary>
    public static void LoadInto(nn.Module model, string path)
    {
        var weights = Read(path);
        try
        {
            StateDict.LoadStrict(model, weights, $"weights {path}");
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>Writes the model's state dict atomically, as safetensors or as a torch.save zip by extension.</summary>
    public static void Write(nn.Module model, string path)
    {
        var state = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().contiguous());
        try
        {
            AtomicFile.Write(path, stream =>
            {
                if (IsSafetensors(path)) Safetensors.SaveStateDict(stream, state, leaveOpen: true);
                else PyTorchPickler.PickleStateDict(stream, state, leaveOpen: true);
            });
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    private static bool IsSafetensors(string path) => path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);
}
