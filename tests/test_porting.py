"""``srcgrad run``: a PyTorch script runs unchanged with ``torch`` resolved to srcgrad.

The runner is checked in-process (``porting.run_script``) and as the command
(``python -m srcgrad run``): what the script sees (``__name__``, ``sys.argv``,
its directory on ``sys.path``), that every ``torch`` import gives srcgrad's
modules, that a missing PyTorch name fails naming it, and that a real PyTorch,
installed or already imported, is never reached.
"""

import os
import subprocess
import sys
import textwrap

import pytest

import srcgrad
from srcgrad import porting


def script(tmp_path, text, name="script.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_the_script_runs_as_main_with_its_arguments(tmp_path):
    path = script(
        tmp_path,
        """
        import sys
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim
        from torch.utils.data import DataLoader, TensorDataset
        from torch.utils.data.dataloader import DataLoader as DL2
        from torch import nn as nn2
        import torch.onnx
        import helper
        seen = dict(name=__name__, argv=list(sys.argv), torch=torch, nn=nn, F=F, optim=optim, DL=DataLoader,
                    DL2=DL2, nn2=nn2, helper=helper.VALUE, version=torch.__version__)
        if __name__ == "__main__":
            model = nn.Linear(3, 1)
            opt = optim.SGD(model.parameters(), lr=0.1)
            loss = F.mse_loss(model(torch.ones(4, 3, device="cpu")), torch.zeros(4, 1))
            loss.backward()
            opt.step()
            seen["size"] = repr(model.weight.shape)
    """,
    )
    script(tmp_path, "VALUE = 42\n", name="helper.py")
    argv, path_before = list(sys.argv), list(sys.path)
    result = porting.run_script(path, ["--epochs", "3"])
    seen = result["seen"]
    assert seen["name"] == "__main__" and seen["argv"] == [path, "--epochs", "3"]
    assert isinstance(seen["torch"], porting.TorchModule) and seen["torch"].Tensor is srcgrad.Tensor
    assert seen["nn"].Linear is srcgrad.nn.Linear and seen["nn2"].Linear is srcgrad.nn.Linear
    assert seen["F"].relu is srcgrad.nn.functional.relu and seen["optim"].SGD is srcgrad.optim.SGD
    assert seen["DL"] is seen["DL2"] is srcgrad.data.DataLoader
    assert seen["helper"] == 42 and seen["version"].endswith("+srcgrad." + srcgrad.__version__)
    assert seen["size"] == "torch.Size([1, 3])"  # printed as PyTorch prints it, while the script runs
    # afterwards: everything as it was
    assert sys.argv == argv and sys.path == path_before and "helper" not in sys.modules
    assert repr(srcgrad.zeros(2).shape) == "srcgrad.Size([2])"
    assert not any(
        name == "torch" or name.startswith("torch.")
        for name in sys.modules
        if isinstance(sys.modules[name], porting.TorchModule)
    )


def test_a_missing_pytorch_name_is_named(tmp_path):
    missing_attr = script(tmp_path, "import torch.nn as nn\nnn.TransformerXL(3)\n", name="a.py")
    with pytest.raises(AttributeError, match=r"torch\.nn\.TransformerXL is a PyTorch name srcgrad does not have"):
        porting.run_script(missing_attr)
    missing_module = script(tmp_path, "import torch.distributions as D\n", name="b.py")
    with pytest.raises(ModuleNotFoundError, match=r"torch\.distributions is a PyTorch module srcgrad does not have"):
        porting.run_script(missing_module)
    missing_from = script(tmp_path, "from torch.nn import TransformerXL\n", name="c.py")
    with pytest.raises(ImportError, match="TransformerXL"):
        porting.run_script(missing_from)
    built_on_torch = script(tmp_path, "import torchvision\n", name="d.py")
    with pytest.raises(ModuleNotFoundError, match="torchvision is built on PyTorch's C"):
        porting.run_script(built_on_torch)
    attribute_path = script(tmp_path, "import torch\ntorch.sparse.mm\n", name="e.py")
    with pytest.raises(AttributeError, match=r"torch\.sparse is a PyTorch name"):
        porting.run_script(attribute_path)


def test_a_real_pytorch_is_never_reached(tmp_path):
    real = pytest.importorskip("torch")
    path = script(
        tmp_path,
        """
        import torch
        import torch.nn
        kinds = (type(torch).__name__, type(torch.nn).__name__)
    """,
    )
    assert porting.run_script(path)["kinds"] == ("TorchModule", "TorchModule")
    import torch as after

    assert after is real and sys.modules["torch.nn"] is real.nn  # put back as they were


def test_the_default_dtype_option(tmp_path):
    path = script(tmp_path, "import torch\nresult = torch.tensor([1.0]).dtype\n")
    assert porting.run_script(path, default_dtype="float32")["result"] == srcgrad.float32
    assert porting.run_script(path)["result"] == srcgrad.float64
    assert srcgrad.get_default_dtype() == srcgrad.float64


def run_command(*args, cwd):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(srcgrad.__file__)))
    return subprocess.run(
        [sys.executable, "-m", "srcgrad", "run", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_command(tmp_path):
    script(
        tmp_path,
        """
        import argparse
        import torch
        parser = argparse.ArgumentParser()
        parser.add_argument("--n", type=int, default=1)
        args = parser.parse_args()
        print(torch.ones(args.n).sum().item(), torch.zeros(2, 3).size())
    """,
        name="ok.py",
    )
    done = run_command("ok.py", "--n", "4", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "4.0 torch.Size([2, 3])\n"

    script(tmp_path, "import sys\nsys.exit(3)\n", name="exits.py")
    assert run_command("exits.py", cwd=tmp_path).returncode == 3

    script(tmp_path, "import torch\n\ndef build():\n    return torch.nn.TransformerXL()\n\nbuild()\n", name="bad.py")
    done = run_command("bad.py", cwd=tmp_path)
    assert done.returncode == 1
    assert 'File "bad.py", line 4, in build' in done.stderr
    assert "torch.nn.TransformerXL is a PyTorch name srcgrad does not have" in done.stderr
    assert "runpy" not in done.stderr and "porting.py" not in done.stderr and "cli.py" not in done.stderr

    done = run_command("nothere.py", cwd=tmp_path)
    assert done.returncode == 2 and "no such script: nothere.py" in done.stderr

    (tmp_path / "pkgdir").mkdir()
    done = run_command("pkgdir", cwd=tmp_path)
    assert done.returncode == 2 and "pkgdir is a directory with no __main__.py" in done.stderr
    assert "Traceback" not in done.stderr
    script(tmp_path / "pkgdir", "import torch\nprint(torch.ones(2).sum().item())\n", name="__main__.py")
    done = run_command("pkgdir", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "2.0\n"
