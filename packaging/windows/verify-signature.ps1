<#
.SYNOPSIS
Fails unless every file given carries a valid Authenticode signature (checked by Windows itself, with
Get-AuthenticodeSignature: certificate chain, timestamp, file unchanged since signing).

.EXAMPLE
pwsh packaging/windows/verify-signature.ps1 dist\satori-desktop-0.1.0-windows-x64-setup.exe
#>
param(
    [Parameter(Mandatory, ValueFromRemainingArguments)][string[]]$Path
)
$ErrorActionPreference = 'Stop'

$invalid = @()
foreach ($file in $Path) {
    $signature = Get-AuthenticodeSignature -FilePath $file
    Write-Host "${file}: $($signature.Status) $($signature.SignerCertificate.Subject)"
    if ($signature.Status -ne 'Valid') { $invalid += "${file}: $($signature.StatusMessage)" }
}
if ($invalid) { throw "Not validly signed:`n$($invalid -join "`n")" }
