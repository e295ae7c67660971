<#
.SYNOPSIS
Signs files with the project's Authenticode certificate and verifies each signature.

.DESCRIPTION
Used by the release workflow for satori-desktop.exe and satori-desktop-cli.exe, and by Inno Setup (as
its SignTool) for the installer and its uninstaller, only when the certificate secret is set:

  WINDOWS_CERTIFICATE_PFX       the base64 of the .pfx (certificate and private key)
  WINDOWS_CERTIFICATE_PASSWORD  its password
  WINDOWS_TIMESTAMP_URL         optional, an RFC 3161 time-stamping server (default DigiCert's)

SHA-256 file digest and an RFC 3161 timestamp, so the signature stays valid after the certificate
expires. Certificates whose key lives in a hardware token or in Azure Trusted Signing cannot be exported
to a .pfx; those need azure/trusted-signing-action (or signtool /dlib) in this script's place.

.EXAMPLE
pwsh packaging/windows/sign.ps1 build\bundle\satori-desktop\satori-desktop.exe
#>
param(
    [Parameter(Mandatory, ValueFromRemainingArguments)][string[]]$Path
)
$ErrorActionPreference = 'Stop'

if (-not $env:WINDOWS_CERTIFICATE_PFX) { throw 'WINDOWS_CERTIFICATE_PFX is not set' }
$timestampUrl = if ($env:WINDOWS_TIMESTAMP_URL) { $env:WINDOWS_TIMESTAMP_URL } else { 'http://timestamp.digicert.com' }

# signtool comes with the Windows SDK, which is not on PATH: take the newest x64 one.
$signtool = Get-ChildItem -Path "${env:ProgramFiles(x86)}\Windows Kits\10\bin\*\x64\signtool.exe" -ErrorAction SilentlyContinue |
    Sort-Object { [version]($_.Directory.Parent.Name -replace '[^0-9.]', '') } |
    Select-Object -Last 1
if (-not $signtool) { throw 'signtool.exe not found (install the Windows SDK)' }

$temp = if ($env:RUNNER_TEMP) { $env:RUNNER_TEMP } else { [IO.Path]::GetTempPath() }
$pfx = Join-Path $temp "satori-signing-$PID.pfx"
[IO.File]::WriteAllBytes($pfx, [Convert]::FromBase64String($env:WINDOWS_CERTIFICATE_PFX))
try {
    & $signtool.FullName sign /fd SHA256 /tr $timestampUrl /td SHA256 /d 'Satori Desktop' `
        /f $pfx /p $env:WINDOWS_CERTIFICATE_PASSWORD @Path
    if ($LASTEXITCODE -ne 0) { throw "signtool failed (exit status $LASTEXITCODE)" }
} finally {
    Remove-Item -LiteralPath $pfx -Force -ErrorAction SilentlyContinue
}

& (Join-Path $PSScriptRoot 'verify-signature.ps1') @Path
