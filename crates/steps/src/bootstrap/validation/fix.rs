//! What to do when a validation row fails, one text per row (with the known error codes).

pub const SIGNIN: &str = "Issue a new Temporary Access Pass (revert step 6, then apply it), check it has not expired or been used, and sign in again at the OOBE page.";
pub const ENHANCED_SESSION: &str = "Enhanced session mode is still on: OOBE needs the basic console. Run (elevated) Hyper-V\\Set-VMHost -EnableEnhancedSessionMode $false, or untick View > Enhanced session in Virtual Machine Connection.";
pub const JOINED: &str = "The VM is not Entra joined: at OOBE choose 'Set up for work or school' and sign in with the lab user. If join is refused, check Entra admin center > Devices > Device settings: 'Users may join devices to Microsoft Entra' must include the lab user.";
pub const NGC: &str = "No Windows Hello PIN yet: finish 'Set up a PIN' in the VM. If Windows never asked, check step 2 (Windows Hello for Business policy Enabled) and that the device is Entra joined.";
pub const PRT: &str = "No Primary Refresh Token: sign out of the VM and sign in again with the PIN; the VM needs network access to login.microsoftonline.com.";
pub const DEVICE: &str = "Entra ID has no Azure AD joined device with this device id yet: wait a minute and retry; if it stays missing, the join did not complete (see the dsregcmd rows).";
pub const MANAGED: &str = "Intune has no managed device for this device. Error 0x80180014: an enrollment restriction blocks Windows (MDM) devices; allow it in Intune > Devices > Enrollment restrictions. Error 8018000a: the device is already enrolled; remove the old device in Intune and retry. If the MAM user scope also includes the user it can override the MDM scope: set MAM user scope to None and keep MDM user scope All (step 1).";
pub const WHFB: &str = "The user has no Windows Hello for Business method yet: finish 'Set up a PIN' in the VM; check step 2 (WHfB policy Enabled).";
pub const MFA: &str = "In the VM, open My Apps (https://myapps.microsoft.com) in Edge, signed in as the lab user (the demo's person at the VM does this once the desktop shows). A real tenant's sign-in log shows the entry 2 to 15 minutes later.";
pub const P1: &str = "Reading sign-in logs needs Microsoft Entra ID P1 or P2 for the tenant and the Reports Reader role.";
