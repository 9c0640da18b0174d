import pytest
from script_helpers import load_script

build_realcad = load_script("build_realcad")


def test_help_states_the_download_size(capsys):
    with pytest.raises(SystemExit):
        build_realcad.main(["--help"])
    out = capsys.readouterr().out
    assert "total download 884 MB" in out and "sweethome3d-furniture" in out


def test_no_debs_and_no_download_fails_clearly(tmp_path, capsys):
    (tmp_path / "debs").mkdir()
    assert (
        build_realcad.main([str(tmp_path / "out"), "--debs", str(tmp_path / "debs"), "--no-download", "--no-progress"])
        == 2
    )
    assert "no package .deb" in capsys.readouterr().err
