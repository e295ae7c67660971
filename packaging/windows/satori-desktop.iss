; Inno Setup script for the Windows installer of Satori Desktop.
;
; Compiled only by the release workflow (.github/workflows/release.yml, Inno Setup 6 on a windows-2022
; runner): our build machine runs Linux and has no iscc, so there tests/packaging/test_workflows.py checks
; the sections and directives below instead. The workflow calls, with absolute paths:
;
;   iscc /DAppVersion=0.1.0 /DBundleDir=C:\...\build\bundle\satori-desktop
;        /DIconFile=C:\...\build\icons\satori-desktop.ico /DOutputDir=C:\...\dist [/DVariant=cuda]
;        [/DSignTool=satorisign "/Ssatorisign=<command with $f>"]  packaging\windows\satori-desktop.iss
;
; BundleDir is PyInstaller's onedir (packaging/freeze.py): satori-desktop.exe (the window),
; satori-desktop-cli.exe (the command line) and _internal\. A relative path would be taken from this
; file's folder, hence absolute ones.
;
; A per-user install by default: no administrator, into %LOCALAPPDATA%\Programs\Satori Desktop; the first
; page offers an install for all users instead (which asks for elevation). The CPU and CUDA builds share
; one AppId: they are the same application, so installing one replaces the other.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z
#endif
#ifndef BundleDir
  #error Pass the PyInstaller folder: iscc /DBundleDir=PATH
#endif
#ifndef IconFile
  #define IconFile AddBackslash(SourcePath) + "..\..\build\icons\satori-desktop.ico"
#endif
#ifndef OutputDir
  #define OutputDir AddBackslash(SourcePath) + "..\..\dist"
#endif
#ifdef Variant
  #define VariantSuffix "-" + Variant
#else
  #define VariantSuffix ""
#endif
#define AppName "Satori Desktop"
#define AppExe "satori-desktop.exe"

[Setup]
; Windows knows the installation by this id (upgrades, the Apps list): never change it. The doubled
; brace is Inno's escape for a literal "{".
AppId={{438CCD35-BCF3-4057-82D4-55B1C612483E}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
DefaultDirName={autopf}\{#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=commandline dialog
; 64-bit only (the bundle is), Windows 10 1809 or newer (Qt 6's floor).
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0.17763
OutputDir={#OutputDir}
OutputBaseFilename=satori-desktop-{#AppVersion}-windows-x64{#VariantSuffix}-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
WizardStyle=modern
; Several hundred MB of DLLs: one solid LZMA2 stream, compressed in its own process (more memory).
Compression=lzma2
SolidCompression=yes
LZMAUseSeparateProcess=yes
CloseApplications=yes
#ifdef SignTool
; Signs Setup itself and the uninstaller it writes, with the command the workflow passes as /S.
SignTool={#SignTool}
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An update or a switch between the CPU and CUDA builds must not keep the old build's libraries (a stale
; ggml-cuda.dll would still be loaded): the whole bundle folder goes before the new one is copied.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete]: the models, the history and the settings live in the user's own folders
; (platformdirs), and removing the program must not delete gigabytes of downloaded models.
