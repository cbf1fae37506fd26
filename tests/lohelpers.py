"""Test-only LibreOffice helpers: drive a real client through a Basic macro.

The macro opens a workbook hidden, inserts rows inside a block the way a user does
(Sheet → Insert Rows), sets one cell, recalculates and saves a copy as xlsx. It runs
from a throwaway profile whose Standard library holds the module.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from gridbudget.write import libreoffice as lo

_XLC = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE library:libraries PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "libraries.dtd">
<library:libraries xmlns:library="http://openoffice.org/2000/library" xmlns:xlink="http://www.w3.org/1999/xlink">
 <library:library library:name="Standard" xlink:href="$(USER)/basic/Standard/script.xlb/" xlink:type="simple" library:link="false"/>
</library:libraries>
"""
_XLB = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE library:library PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "library.dtd">
<library:library xmlns:library="http://openoffice.org/2000/library" library:name="Standard" library:readonly="false" library:passwordprotected="false">
 <library:element library:name="Module1"/>
</library:library>
"""
_XBA = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">
Function OpenDoc()
  Dim args(0) As New com.sun.star.beans.PropertyValue
  args(0).Name = &quot;Hidden&quot;
  args(0).Value = True
  OpenDoc = StarDesktop.loadComponentFromURL(ConvertToURL(Environ(&quot;GB_IN&quot;)), &quot;_blank&quot;, 0, args())
End Function

Sub SaveDoc(doc)
  doc.calculateAll()
  Dim sargs(0) As New com.sun.star.beans.PropertyValue
  sargs(0).Name = &quot;FilterName&quot;
  sargs(0).Value = &quot;Calc MS Excel 2007 XML&quot;
  doc.storeToURL(ConvertToURL(Environ(&quot;GB_OUT&quot;)), sargs())
  doc.close(True)
End Sub

Sub InsertRows
  doc = OpenDoc()
  sheet = doc.Sheets.getByName(Environ(&quot;GB_SHEET&quot;))
  sheet.unprotect(&quot;&quot;)
  sheet.Rows.insertByIndex(CLng(Environ(&quot;GB_ROW&quot;)), CLng(Environ(&quot;GB_COUNT&quot;)))
  If Environ(&quot;GB_CELL&quot;) &lt;&gt; &quot;&quot; Then
    sheet.getCellRangeByName(Environ(&quot;GB_CELL&quot;)).setValue(CDbl(Environ(&quot;GB_VALUE&quot;)))
  End If
  SaveDoc(doc)
End Sub

Sub CopySheet
  doc = OpenDoc()
  doc.Sheets.copyByName(Environ(&quot;GB_SHEET&quot;), Environ(&quot;GB_NEW&quot;), doc.Sheets.Count)
  sheet = doc.Sheets.getByName(Environ(&quot;GB_NEW&quot;))
  sheet.unprotect(&quot;&quot;)
  sheet.getCellRangeByName(Environ(&quot;GB_CELL&quot;)).setString(Environ(&quot;GB_VALUE&quot;))
  SaveDoc(doc)
End Sub
</script:module>
"""


def insert_rows(src: Path, dst: Path, sheet: str, row0: int, count: int = 1,
                set_cell: str | None = None, value: float | None = None) -> Path:
    """Insert ``count`` rows before 0-based row ``row0`` with LibreOffice, save to ``dst``."""
    return _run_macro("InsertRows", src, dst, GB_SHEET=sheet, GB_ROW=str(row0), GB_COUNT=str(count),
                      GB_CELL=set_cell or "", GB_VALUE=str(value or 0))


def copy_sheet(src: Path, dst: Path, sheet: str, new_name: str, cell: str, text: str) -> Path:
    """Copy a sheet in LibreOffice (as a user does with 移动或复制工作表), type ``text`` into ``cell`` of the copy."""
    return _run_macro("CopySheet", src, dst, GB_SHEET=sheet, GB_NEW=new_name, GB_CELL=cell, GB_VALUE=text)


def _run_macro(sub: str, src: Path, dst: Path, **env_vars: str) -> Path:
    soffice = lo.find_soffice()
    assert soffice, "LibreOffice is not installed"
    tmp = Path(tempfile.mkdtemp(prefix="gb-lo-macro-"))
    try:
        lo._write_profile(tmp / "profile", recalc=True)
        env = lo._child_env(tmp)
        profile_arg = f"-env:UserInstallation={(tmp / 'profile').as_uri()}"
        # A fresh profile is initialised on first start (which would replace our
        # Standard library): start once, then add the module.
        lo._run([soffice, profile_arg, "--headless", "--norestore", "--terminate_after_init"],
                env=env, timeout=180, what="LibreOffice 初始化")
        basic = tmp / "profile" / "user" / "basic"
        (basic / "Standard").mkdir(parents=True, exist_ok=True)
        (basic / "script.xlc").write_text(_XLC, encoding="utf-8")
        (basic / "Standard" / "script.xlb").write_text(_XLB, encoding="utf-8")
        (basic / "Standard" / "Module1.xba").write_text(_XBA, encoding="utf-8")
        env.update(GB_IN=str(Path(src).resolve()), GB_OUT=str(Path(dst).resolve()), **env_vars)
        cmd = [soffice, profile_arg, "--headless", "--norestore",
               "--nologo", "--nolockcheck", f"macro:///Standard.Module1.{sub}"]
        lo._run(cmd, env=env, timeout=180, what="LibreOffice 宏")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not Path(dst).exists():
        raise AssertionError(f"LibreOffice produced no {dst}")
    return Path(dst)
