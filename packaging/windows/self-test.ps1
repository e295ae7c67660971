<#
.SYNOPSIS
Runs a frozen Satori Desktop's --self-test and exits with its status: what the release workflow checks
before it packages a bundle and after it installs one.

.DESCRIPTION
satori-desktop.exe is a windowed program, which PowerShell starts without waiting for it, so the exit
status would be lost: Start-Process -Wait waits. It runs offscreen (no desktop is needed) and prints the
JSON report the app writes.

.EXAMPLE
pwsh packaging/windows/self-test.ps1 -Executable build\bundle\satori-desktop\satori-desktop.exe -Report $env:RUNNER_TEMP\self-test.json
#>
param(
    [Parameter(Mandatory)][string]$Executable,
    [Parameter(Mandatory)][string]$Report
)
$ErrorActionPreference = 'Stop'

if (-not (Test-Path -LiteralPath $Executable)) { throw "No executable at $Executable" }
if (-not $env:QT_QPA_PLATFORM) { $env:QT_QPA_PLATFORM = 'offscreen' }
New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Report) | Out-Null

# Start-Process joins the arguments with spaces, so a path with a space must carry its own quotes.
$arguments = @('--self-test', '--self-test-report', "`"$Report`"")
$process = Start-Process -FilePath $Executable -ArgumentList $arguments -Wait -PassThru -NoNewWindow

if (Test-Path -LiteralPath $Report) {
    Get-Content -LiteralPath $Report | Write-Host
} else {
    Write-Host "The self-test wrote no report at $Report"
}
if ($process.ExitCode -ne 0) {
    throw "The self-test of $Executable failed (exit status $($process.ExitCode))"
}
Write-Host "The self-test of $Executable passed"
