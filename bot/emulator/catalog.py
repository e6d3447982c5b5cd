"""Every method name the real Bot API server accepts (tdlib/telegram-bot-api Client::init_methods).

The emulator implements the few the bot uses; a call to any other real method is acknowledged
with ``true`` and flagged in emu.calls (``emulated=False``), while an unknown name gets 404.
"""

REAL_METHODS = frozenset(
    """
    addstickertoset answercallbackquery answercustomquery answerguestquery
    answerinlinequery answerprecheckoutquery answershippingquery answerwebappquery
    approvechatjoinrequest approvesuggestedpost banchatmember banchatsenderchat close
    closeforumtopic closegeneralforumtopic convertgifttostars copymessage copymessages
    createchatinvitelink createchatsubscriptioninvitelink createforumtopic createinvoicelink
    createnewstickerset declinechatjoinrequest declinesuggestedpost deleteallmessagereactions
    deletebusinessmessages deletechatphoto deletechatstickerset deleteforumtopic deletemessage
    deletemessagereaction deletemessages deletemycommands deletestickerfromset deletestickerset
    deletestory deletewebhook editchatinvitelink editchatsubscriptioninvitelink editforumtopic
    editgeneralforumtopic editmessagecaption editmessagechecklist editmessagelivelocation
    editmessagemedia editmessagereplymarkup editmessagetext editstory edituserstarsubscription
    exportchatinvitelink forwardmessage forwardmessages getavailablegifts getbusinessaccountgifts
    getbusinessaccountstarbalance getbusinessconnection getchat getchatadministrators getchatgifts
    getchatmember getchatmembercount getchatmemberscount getchatmenubutton getcustomemojistickers
    getfile getforumtopiciconstickers getgamehighscores getmanagedbotaccesssettings
    getmanagedbottoken getme getmycommands getmydefaultadministratorrights getmydescription
    getmyname getmyshortdescription getmystarbalance getstartransactions getstickerset
    getupdates getuserchatboosts getusergifts getuserpersonalchatmessages getuserprofileaudios
    getuserprofilephotos getwebhookinfo giftpremiumsubscription hidegeneralforumtopic
    kickchatmember leavechat logout pinchatmessage poststory promotechatmember
    readbusinessmessage refundstarpayment removebusinessaccountprofilephoto removechatverification
    removemyprofilephoto removeuserverification reopenforumtopic reopengeneralforumtopic
    replacemanagedbottoken replacestickerinset repoststory restrictchatmember revokechatinvitelink
    savepreparedinlinemessage savepreparedkeyboardbutton sendanimation sendaudio sendchataction
    sendchecklist sendcontact sendcustomrequest senddice senddocument sendgame sendgift
    sendinvoice sendlivephoto sendlocation sendmediagroup sendmessage sendmessagedraft
    sendpaidmedia sendphoto sendpoll sendsticker sendvenue sendvideo sendvideonote
    sendvoice setbusinessaccountbio setbusinessaccountgiftsettings setbusinessaccountname
    setbusinessaccountprofilephoto setbusinessaccountusername setchatadministratorcustomtitle
    setchatdescription setchatmembertag setchatmenubutton setchatpermissions setchatphoto
    setchatstickerset setchattitle setcustomemojistickersetthumbnail setgamescore
    setmanagedbotaccesssettings setmessagereaction setmycommands setmydefaultadministratorrights
    setmydescription setmyname setmyprofilephoto setmyshortdescription setpassportdataerrors
    setstickeremojilist setstickerkeywords setstickermaskposition setstickerpositioninset
    setstickersetthumb setstickersetthumbnail setstickersettitle setuseremojistatus setwebhook
    stopmessagelivelocation stoppoll transferbusinessaccountstars transfergift unbanchatmember
    unbanchatsenderchat unhidegeneralforumtopic unpinallchatmessages unpinallforumtopicmessages
    unpinallgeneralforumtopicmessages unpinchatmessage upgradegift uploadstickerfile verifychat
    verifyuser
    """.split()
)
