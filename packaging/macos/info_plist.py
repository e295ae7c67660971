"""The Info.plist entries of `Satori Desktop.app`, kept apart from the PyInstaller spec so CI can check them.

packaging/pyinstaller/satori-desktop.spec imports `info_plist` from here and hands it to BUNDLE (which
writes CFBundleExecutable, CFBundleName and the like itself); the spec adds the version. The release
workflow builds with MACOSX_DEPLOYMENT_TARGET equal to MINIMUM_MACOS, and tests/packaging checks that
the two agree: a library compiled for a newer macOS than the plist promises would fail to load there.
"""

BUNDLE_IDENTIFIER = "io.github.satori_desktop.SatoriDesktop"

# macOS 14 (Sonoma, which every Apple Silicon Mac can run). PySide6 6.11 itself would run on 13, but the
# release is built on a macos-14 runner, where pip picks numpy's macOS 14 wheels (Accelerate) for
# llama-cpp-python; packaging/macos/check-deployment-target.sh fails the build if any binary needs more.
MINIMUM_MACOS = "14.0"

info_plist: dict[str, object] = {
    "CFBundleIdentifier": BUNDLE_IDENTIFIER,
    "CFBundleDisplayName": "Satori Desktop",
    "CFBundleName": "Satori Desktop",
    "LSMinimumSystemVersion": MINIMUM_MACOS,
    "LSApplicationCategoryType": "public.app-category.education",
    # Retina rendering; without it Qt draws at half resolution and the system scales it up.
    "NSHighResolutionCapable": True,
    # Follow the system's dark mode (the app has a dark palette).
    "NSRequiresAquaSystemAppearance": False,
}
